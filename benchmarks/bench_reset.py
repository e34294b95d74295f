"""Time the per-step resets (the ops' `reset` argument) in the reinforcement-learning setting (CPU, float32).

A learner runs an unroll of T=50 steps for B=32 environments whose episodes end
inside the unroll. Prints a markdown table: forward+backward time of each op's
"torch" fast form without resets and with a reset mask (each step of each row
resets with probability --reset-rate), and of the step-loop reference with the
same mask, with the cost of the mask (with / without) and the speed-up of the
fast form over the step loop. Timing as in `benchmarks.bench_recurrent`: the
fastest of alternating runs after one warm-up run each.

    python -m benchmarks.bench_reset                        # B=32, T=50, H=4, D=32 (~15 s)
    python -m benchmarks.bench_reset --T 50 200 --head-dim 16 --repeats 9
    python -m benchmarks.bench_reset --plot reset.png       # also draws the times

Run from the repository root (it reuses the helpers of `benchmarks.bench_ops` and `benchmarks.bench_recurrent`).
"""

import argparse
from datetime import date

import torch

import fwp_kernels
from benchmarks import plots
from benchmarks.bench_ops import example_inputs, forward_backward_run, milliseconds, speedup
from benchmarks.bench_recurrent import fastest_seconds_interleaved
from fwp_kernels.ops import OPS


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", nargs="+", choices=list(OPS), default=list(OPS), help="ops to time")
    parser.add_argument("--T", type=int, nargs="+", default=[50], help="unroll lengths")
    parser.add_argument("--batch", type=int, default=32, help="environments")
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--head-dim", type=int, default=32)
    parser.add_argument("--chunk-size", type=int, default=64, help="for the chunkwise ops")
    parser.add_argument("--reset-rate", type=float, default=0.04, help="probability that a step starts an episode")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each form (the fastest reported)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch intra-op threads")
    parser.add_argument("--plot", metavar="PATH", help="also write the table as a bar chart (PNG)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    print(
        f"CPU float32, B={args.batch}, H={args.heads}, D={args.head_dim}, chunk size {args.chunk_size}, "
        f"reset rate {args.reset_rate}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{date.today()}; forward+backward, fastest of {args.repeats} alternating runs after one warm-up run\n"
    )
    print("| op | T | fast (ms) | fast with reset (ms) | cost of the mask | step loop with reset (ms) | speed-up |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows, times = [], []  # per row: ms of the fast form, the fast form with reset, the step loop with reset
    for seq_len in args.T:
        reset = torch.rand(args.batch, seq_len) < args.reset_rate
        for name in args.ops:
            op, step_loop = getattr(fwp_kernels, name), OPS[name].form("naive")
            options = {"backend": "torch"}
            if OPS[name].chunked:
                options["chunk_size"] = args.chunk_size
            inputs = example_inputs(name, args.batch, seq_len, args.heads, args.head_dim)
            runs = [
                forward_backward_run(lambda **x: op(**x, **options), inputs),
                forward_backward_run(lambda **x: op(**x, **options, reset=reset), inputs),
                forward_backward_run(lambda **x: step_loop(**x, reset=reset), inputs),
            ]
            plain, with_reset, stepped = fastest_seconds_interleaved(runs, args.repeats)
            print(
                f"| {name} | {seq_len} | {milliseconds(plain)} | {milliseconds(with_reset)} | "
                f"{with_reset / plain:.2f}x | {milliseconds(stepped)} | {speedup(stepped, with_reset)} |",
                flush=True,
            )
            rows.append(f"{name}, T={seq_len}")
            times.append([1e3 * seconds for seconds in (plain, with_reset, stepped)])
    if args.plot:
        columns = list(zip(*times))
        plots.bar_figure(
            f"per-step resets (CPU float32, B={args.batch}, H={args.heads}, D={args.head_dim}, "
            f"reset rate {args.reset_rate})", rows,
            [("forward+backward (ms)",
              {"fast": columns[0], "fast with reset": columns[1], "step loop with reset": columns[2]})],
            log=True,
        ).savefig(args.plot, dpi=100)


if __name__ == "__main__":
    main()
