"""Time the chunkwise ops against the step-by-step loops (CPU, float32).

Prints a markdown table: forward and forward+backward time of the chunkwise
"torch" backend and of the step loop, for linear attention and the delta rule,
with the speed-up (step loop time / chunkwise time). Backward uses a dense
random output gradient (as in training; a `.sum()` loss would hand autograd an
expanded, stride-0 gradient that takes slow matmul paths) and computes the
gradients of q, k, v (and beta). By default the step loop's forward+backward
is skipped above T=1024 (minutes per run). --plot PATH also draws the times.

    python -m benchmarks.bench_ops                 # B=4, H=8, D=64, T in 256 1024 4096 (~2 min)
    python -m benchmarks.bench_ops --T 1024 --repeats 5 --threads 2 --step-loop-backward-max-T 4096
    python -m benchmarks.bench_ops --plot ops.png

Run from the repository root (it draws with `benchmarks.plots`).

`fwp_kernels` (the folder kernels/) must be importable: installed (`pip install -e .`,
as `make install` does), or from the repository root after `ln -s kernels fwp_kernels`.
"""

import argparse
import statistics
import time
from datetime import date
from typing import Callable, Optional

import torch

import fwp_kernels
from benchmarks import plots
from fwp_kernels.interface import make_example_inputs
from fwp_kernels.ops import OPS


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--T", type=int, nargs="+", default=[256, 1024, 4096], help="sequence lengths")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--head-dim", type=int, default=64, help="Dk = Dv")
    parser.add_argument("--chunk-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of the chunkwise forms (median reported)")
    parser.add_argument(
        "--step-loop-repeats", type=int, default=2, help="timed runs of the step loops (median reported)"
    )
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch intra-op threads")
    parser.add_argument("--step-loop-max-T", type=int, default=4096, help="skip the step loop for longer sequences")
    parser.add_argument(
        "--step-loop-backward-max-T",
        type=int,
        default=1024,
        help="skip the step loop's forward+backward for longer sequences (it keeps every step's state for autograd: "
        "one run at T=4096 took ~3 min on a 2-core machine)",
    )
    parser.add_argument("--plot", metavar="PATH", help="also write the table as a bar chart (PNG)")
    return parser.parse_args()


def example_inputs(op: str, batch: int, seq_len: int, heads: int, dim: int) -> dict:
    """fwp_kernels.<op>'s inputs as the paper's layers produce them (the op's interface,
    `make_example_inputs`; float32, seeded by torch's global generator), every tensor requiring grad."""
    seed = int(torch.randint(2**31, ()))
    inputs = make_example_inputs(OPS[op], batch, seq_len, heads, dim, seed=seed)
    return {name: x.requires_grad_() for name, x in inputs.items()}


def median_seconds(run: Callable[[], None], repeats: int) -> float:
    """Median wall time of `repeats` runs after one warm-up run."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def forward_run(op: Callable, inputs: dict) -> Callable[[], None]:
    """A run of op(**inputs) without autograd."""

    def forward() -> None:
        with torch.no_grad():
            op(**inputs)

    return forward


def forward_backward_run(op: Callable, inputs: dict) -> Callable[[], None]:
    """A run of op(**inputs) -> (output, state) and the gradients of all inputs from a dense output gradient."""
    leaves = list(inputs.values())
    with torch.no_grad():
        output_grad = torch.randn_like(op(**inputs)[0])

    def forward_backward() -> None:
        output, _ = op(**inputs)
        torch.autograd.grad(output, leaves, output_grad)

    return forward_backward


def time_forward(op: Callable, inputs: dict, repeats: int) -> float:
    """Median seconds of op(**inputs) without autograd."""
    return median_seconds(forward_run(op, inputs), repeats)


def time_forward_backward(op: Callable, inputs: dict, repeats: int) -> float:
    """Median seconds of op(**inputs) -> (output, state) and the gradients of all inputs."""
    return median_seconds(forward_backward_run(op, inputs), repeats)


def milliseconds(seconds: Optional[float]) -> str:
    return "skipped" if seconds is None else f"{seconds * 1e3:.1f}"


def speedup(step_seconds: Optional[float], chunk_seconds: float) -> str:
    return "" if step_seconds is None else f"{step_seconds / chunk_seconds:.1f}x"


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ops = ("linear_attention", "delta_rule")

    print(
        f"CPU float32, B={args.batch}, H={args.heads}, Dk=Dv={args.head_dim}, chunk size {args.chunk_size}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {date.today()}; median of {args.repeats} "
        f"runs (chunkwise) and {args.step_loop_repeats} runs (step loop) after one warm-up run\n"
    )
    print(
        "| op | T | chunk fwd (ms) | step fwd (ms) | fwd speed-up "
        "| chunk fwd+bwd (ms) | step fwd+bwd (ms) | fwd+bwd speed-up |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    rows, times = [], []  # per row: ms of chunk fwd, step fwd, chunk fwd+bwd, step fwd+bwd (None: skipped)
    for seq_len in args.T:
        for name in ops:
            def chunkwise(**inputs):
                return getattr(fwp_kernels, name)(**inputs, backend="torch", chunk_size=args.chunk_size)

            step_loop = OPS[name].form("naive")
            inputs = example_inputs(name, args.batch, seq_len, args.heads, args.head_dim)
            chunk_fwd = time_forward(chunkwise, inputs, args.repeats)
            chunk_fwd_bwd = time_forward_backward(chunkwise, inputs, args.repeats)
            step_fwd = step_fwd_bwd = None
            if seq_len <= args.step_loop_max_T:
                step_fwd = time_forward(step_loop, inputs, args.step_loop_repeats)
            if seq_len <= args.step_loop_backward_max_T:
                step_fwd_bwd = time_forward_backward(step_loop, inputs, args.step_loop_repeats)
            print(
                f"| {name.replace('_', ' ')} | {seq_len} | {milliseconds(chunk_fwd)} | {milliseconds(step_fwd)} | "
                f"{speedup(step_fwd, chunk_fwd)} | {milliseconds(chunk_fwd_bwd)} | {milliseconds(step_fwd_bwd)} | "
                f"{speedup(step_fwd_bwd, chunk_fwd_bwd)} |",
                flush=True,
            )
            rows.append(f"{name.replace('_', ' ')}, T={seq_len}")
            times.append([None if seconds is None else 1e3 * seconds
                          for seconds in (chunk_fwd, step_fwd, chunk_fwd_bwd, step_fwd_bwd)])
    if args.plot:
        columns = list(zip(*times))
        plots.bar_figure(
            f"chunkwise form vs step loop (CPU float32, B={args.batch}, H={args.heads}, D={args.head_dim})", rows,
            [("forward (ms)", {"chunkwise": columns[0], "step loop": columns[1]}),
             ("forward+backward (ms)", {"chunkwise": columns[2], "step loop": columns[3]})],
            log=True,
        ).savefig(args.plot, dpi=100)


if __name__ == "__main__":
    main()
