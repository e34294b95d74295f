"""Time the fast forms of the recurrent ops against their step loops (CPU, float32).

Prints a markdown table: forward and forward+backward time of the Delta RNN,
the Delta LSTM (chunkwise "torch" backend) and the recurrent delta rule (RDN,
the lean "torch" step loop), each against its reference step loop from
`fwp_kernels.reference`, with the speed-up (step loop time / fast time). Backward
uses a dense random output gradient and computes the gradients of every input
(for the RDN including the slow recurrent weights Rq, Rk, Rv, rbeta).

Made for a shared machine: after a warm-up run of each, the fast form and the
step loop are run alternately and the fastest of each one's runs is reported
(other jobs only ever add time), so both see the same machine state.

    python -m benchmarks.bench_recurrent                 # B=4, H=8, D in 16 64, T in 256 1024 (~5 min)
    python -m benchmarks.bench_recurrent --head-dim 16 --T 256 --ops delta_rnn --repeats 9
    python -m benchmarks.bench_recurrent --plot recurrent.png     # also draws the times

Run from the repository root (it reuses the timing helpers of `benchmarks.bench_ops`).
"""

import argparse
import time
from datetime import date
from typing import Callable, List

import torch

import fwp_kernels
from benchmarks import plots
from benchmarks.bench_ops import example_inputs, forward_backward_run, forward_run, milliseconds, speedup
from fwp_kernels.ops import OPS

# The ops timed here: those with a recurrence on their output.
RECURRENT_OPS = ("delta_rnn", "delta_lstm", "recurrent_delta_rule")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", nargs="+", choices=RECURRENT_OPS, default=list(RECURRENT_OPS), help="ops to time")
    parser.add_argument("--T", type=int, nargs="+", default=[256, 1024], help="sequence lengths")
    parser.add_argument("--head-dim", type=int, nargs="+", default=[16, 64], help="D (16: the paper's small size)")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--chunk-size", type=int, default=64, help="for the Delta RNN and Delta LSTM")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each form (the fastest reported)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch intra-op threads")
    parser.add_argument("--plot", metavar="PATH", help="also write the table as a bar chart (PNG)")
    return parser.parse_args()


def fastest_seconds_interleaved(runs: List[Callable[[], None]], repeats: int) -> List[float]:
    """For each run, the fastest of `repeats` timed calls; the runs take turns, after one warm-up call each."""
    for run in runs:
        run()
    best = [float("inf")] * len(runs)
    for _ in range(repeats):
        for index, run in enumerate(runs):
            start = time.perf_counter()
            run()
            best[index] = min(best[index], time.perf_counter() - start)
    return best


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    print(
        f"CPU float32, B={args.batch}, H={args.heads}, chunk size {args.chunk_size} (Delta RNN, Delta LSTM), "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {date.today()}; fastest of {args.repeats} "
        f"alternating runs of each form after one warm-up run\n"
    )
    print(
        "| op | D | T | fast fwd (ms) | step fwd (ms) | fwd speed-up "
        "| fast fwd+bwd (ms) | step fwd+bwd (ms) | fwd+bwd speed-up |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows, times = [], []  # per row: ms of fast fwd, step fwd, fast fwd+bwd, step fwd+bwd
    for dim in args.head_dim:
        for seq_len in args.T:
            for name in args.ops:
                op, step_loop = getattr(fwp_kernels, name), OPS[name].form("naive")
                options = {"backend": "torch"}
                if OPS[name].chunked:
                    options["chunk_size"] = args.chunk_size

                def fast(**inputs):
                    return op(**inputs, **options)

                inputs = example_inputs(name, args.batch, seq_len, args.heads, dim)
                fast_fwd, step_fwd = fastest_seconds_interleaved(
                    [forward_run(fast, inputs), forward_run(step_loop, inputs)], args.repeats
                )
                fast_fwd_bwd, step_fwd_bwd = fastest_seconds_interleaved(
                    [forward_backward_run(fast, inputs), forward_backward_run(step_loop, inputs)], args.repeats
                )
                print(
                    f"| {name} | {dim} | {seq_len} | {milliseconds(fast_fwd)} | {milliseconds(step_fwd)} | "
                    f"{speedup(step_fwd, fast_fwd)} | {milliseconds(fast_fwd_bwd)} | {milliseconds(step_fwd_bwd)} | "
                    f"{speedup(step_fwd_bwd, fast_fwd_bwd)} |",
                    flush=True,
                )
                rows.append(f"{name}, D={dim}, T={seq_len}")
                times.append([1e3 * seconds for seconds in (fast_fwd, step_fwd, fast_fwd_bwd, step_fwd_bwd)])
    if args.plot:
        columns = list(zip(*times))
        plots.bar_figure(
            f"fast form vs step loop (CPU float32, B={args.batch}, H={args.heads})", rows,
            [("forward (ms)", {"fast": columns[0], "step loop": columns[1]}),
             ("forward+backward (ms)", {"fast": columns[2], "step loop": columns[3]})],
            log=True,
        ).savefig(args.plot, dpi=100)


if __name__ == "__main__":
    main()
