"""Training speed of the IMPALA agent on Atari at the paper's network size, per core and number of actors.

Each configuration is a real training run (``fwp_plugin.rl.train``) on Pong:
the IMPALA ResNet torso, the paper's core sizes, batches of --envs-per-actor
unrolls of --unroll-length steps. Prints a markdown table of agent steps and
frames (4 per step) learned per second, the median over the updates after
--warmup ones, for 0 actor processes (acting and learning in one process) and
for K asynchronous actor processes.

    python -m benchmarks.bench_rl                                   # ~5 min on 2 cores
    python -m benchmarks.bench_rl --cores delta_net --actors 0 1 2 4 --device cuda
    python -m benchmarks.bench_rl --plot rl.png                     # also draws the steps/s
"""

import argparse
import contextlib
import csv
import io
import os
import statistics
import tempfile
import time
from datetime import date

import torch

from benchmarks import plots
from fwp_plugin.rl.options import training_parser
from fwp_plugin.rl.train import quiet_library_logs, train


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", nargs="+", default=["feedforward", "lstm", "delta_net", "rdn"], help="cores to time")
    parser.add_argument("--actors", type=int, nargs="+", default=[0, 1, 2], help="numbers of actor processes")
    parser.add_argument("--game", default="PongNoFrameskip-v4", help="Atari game")
    parser.add_argument("--envs-per-actor", type=int, default=8, help="games per actor = unrolls per update")
    parser.add_argument("--unroll-length", type=int, default=50, help="steps per unroll")
    parser.add_argument("--updates", type=int, default=12, help="updates per configuration")
    parser.add_argument("--warmup", type=int, default=3, help="first updates left out of the median")
    parser.add_argument("--device", default="cpu", help="learner device")
    parser.add_argument("--plot", metavar="PATH", help="also write the table as a bar chart (PNG)")
    return parser.parse_args()


def steps_per_second(args: argparse.Namespace, core: str, actors: int) -> float:
    """The median agent steps learned per second over the updates after the warm-up."""
    steps = args.updates * args.envs_per_actor * args.unroll_length
    with tempfile.TemporaryDirectory() as run_dir:
        options = training_parser().parse_args([
            "--env", args.game, "--core", core, "--save-dir", run_dir, "--num-actors", str(actors),
            "--envs-per-actor", str(args.envs_per_actor), "--unroll-length", str(args.unroll_length),
            "--total-steps", str(steps), "--log-every", "0", "--device", args.device,
            "--checkpoint-every", str(steps), "--keep-checkpoints-at",
        ])
        with contextlib.redirect_stdout(io.StringIO()):  # the table only, not the progress lines
            train(options)
        with open(os.path.join(run_dir, "log.csv"), newline="") as f:
            rates = [float(row["steps_per_second"]) for row in csv.DictReader(f)]
    return statistics.median(rates[args.warmup:])


def main() -> None:
    args = parse_args()
    quiet_library_logs()
    print(f"IMPALA training speed, {args.game}, paper network size, {args.envs_per_actor} x {args.unroll_length} "
          f"steps per update, learner on {args.device}, torch {torch.__version__}, {os.cpu_count()} CPUs, "
          f"{date.today()}\n")
    print("| core | actor processes | agent steps/s | frames/s |")
    print("|---|---|---|---|")
    rates = {actors: [] for actors in args.actors}  # agent steps/s per number of actors, one per core
    for core in args.cores:
        for actors in args.actors:
            start = time.time()
            rate = steps_per_second(args, core, actors)
            print(f"| {core} | {actors} | {rate:,.0f} | {4 * rate:,.0f} |  <!-- {time.time() - start:.0f} s -->",
                  flush=True)
            rates[actors].append(rate)
    if args.plot:
        plots.bar_figure(
            f"IMPALA training speed ({args.game}, learner on {args.device})", args.cores,
            [("agent steps/s", {f"{actors} actor processes": rates[actors] for actors in args.actors})],
        ).savefig(args.plot, dpi=100)


if __name__ == "__main__":
    main()
