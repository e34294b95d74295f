"""Tables and a figure over finished RL runs: ``python -m fwp_plugin.rl.collect RUN_DIR ... [--table F] [--figure F]``.

Reads each run directory written by ``fwp_plugin.rl.train``: its options (from
checkpoint_last.pt), log.csv, returns.csv, eval.json (greedy returns of the final
network) and, for Atari, eval_50000000.json (greedy returns of the 50M-step
checkpoint, written by the Atari recipe).

- cue_recall runs: one row per core (over its runs, e.g. seeds): greedy success
  rate, how many runs reached and after how many agent steps the training success
  (mean of 100 games) first reached 90%, training time, steps/s.
- Atari runs: one row per game and core: greedy mean return at 50M steps and at
  the end, with the human-normalised score; then the mean and median
  human-normalised score of each core over the games.
"""

import argparse
import csv
import json
import os
import statistics
from typing import Dict, List, Optional

from .atari_scores import human_normalised
from .checkpoints import read_checkpoint
from .envs import CUE_RECALL, ale_game_name
from .plots import moving_average, plot_curves, read_returns
from .train import quiet_library_logs

PAPER_CHECKPOINT = 50_000_000


def read_json(path: str) -> Optional[dict]:
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def training_seconds(log_csv: str) -> float:
    """Wall-clock seconds of training, summed over the sessions of a resumed run."""
    with open(log_csv, newline="") as f:
        seconds = [float(row["seconds"]) for row in csv.DictReader(f)]
    total = 0.0
    for i, value in enumerate(seconds):
        if i + 1 == len(seconds) or seconds[i + 1] < value:  # the last row of a session
            total += value
    return total


def steps_to_success(returns_csv: str, level: float = 0.9, window: int = 100) -> Optional[int]:
    """The agent steps at which the mean return of the last ``window`` games first reached ``level``."""
    steps, returns = read_returns(returns_csv)
    for step, average, count in zip(steps, moving_average(returns, window), range(1, len(steps) + 1)):
        if count >= window and average >= level:
            return step
    return None


def read_run(run_dir: str) -> dict:
    checkpoint = read_checkpoint(os.path.join(run_dir, "checkpoint_last.pt"))
    seconds = training_seconds(os.path.join(run_dir, "log.csv"))
    return {
        "dir": run_dir,
        "options": checkpoint["options"],
        "steps": checkpoint["steps"],
        "seconds": seconds,
        "final": read_json(os.path.join(run_dir, "eval.json")),
        "at_50M": read_json(os.path.join(run_dir, f"eval_{PAPER_CHECKPOINT}.json")),
    }


def memory_table(runs: List[dict]) -> str:
    """One row per core over its runs (seeds): greedy success, steps to 90% training success, time."""
    by_core: Dict[str, List[dict]] = {}
    for run in runs:
        by_core.setdefault(run["options"]["core"], []).append(run)
    lines = [
        "| core | runs | greedy success (%): mean (min-max) | runs reaching 90% | median steps to 90% "
        "| training time per run (min) | steps/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for core, core_runs in by_core.items():
        success = [100 * run["final"]["mean_return"] for run in core_runs if run["final"]]
        reached = [steps_to_success(os.path.join(run["dir"], "returns.csv")) for run in core_runs]
        reached = [steps for steps in reached if steps is not None]
        seconds = [run["seconds"] for run in core_runs]
        rate = f"{sum(run['steps'] for run in core_runs) / sum(seconds):,.0f}" if sum(seconds) > 0 else "-"
        lines.append(
            f"| {core} | {len(core_runs)} "
            f"| {statistics.mean(success):.1f} ({min(success):.1f}-{max(success):.1f}) "
            f"| {len(reached)} | {f'{statistics.median(reached):,.0f}' if reached else '-'} "
            f"| {statistics.mean(seconds) / 60:.1f} "
            f"| {rate} |"
        )
    return "\n".join(lines)


def atari_table(runs: List[dict]) -> str:
    def cell(result: Optional[dict], game: str) -> str:
        if not result:
            return "-"
        mean = result["mean_return"]
        return f"{mean:.1f} ({human_normalised(game, mean):.2f})"

    lines = [
        "| game | core | steps | return at 50M (HNS) | final return (HNS) |",
        "|---|---|---|---|---|",
    ]
    normalised: Dict[str, List[float]] = {}
    for run in sorted(runs, key=lambda r: (ale_game_name(r["options"]["env"]), r["options"]["core"])):
        game, core = ale_game_name(run["options"]["env"]), run["options"]["core"]
        lines.append(f"| {game} | {core} | {run['steps']:,} | {cell(run['at_50M'], game)} | {cell(run['final'], game)} |")
        if run["final"]:
            normalised.setdefault(core, []).append(human_normalised(game, run["final"]["mean_return"]))
    lines += ["", "| core | games | mean HNS (final) | median HNS (final) |", "|---|---|---|---|"]
    for core, scores in sorted(normalised.items()):
        lines.append(f"| {core} | {len(scores)} | {statistics.mean(scores):.3f} | {statistics.median(scores):.3f} |")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m fwp_plugin.rl.collect", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run directories of fwp_plugin.rl.train")
    parser.add_argument("--table", help="also write the markdown table to this file")
    parser.add_argument("--figure", help="also write the learning curves (one line per run) to this PNG")
    args = parser.parse_args(argv)
    quiet_library_logs()
    runs = [read_run(run_dir) for run_dir in args.runs]
    memory = [run for run in runs if run["options"]["env"] == CUE_RECALL]
    atari = [run for run in runs if run["options"]["env"] != CUE_RECALL]
    table = "\n\n".join(part for part in (memory and memory_table(memory), atari and atari_table(atari)) if part)
    print(table)
    if args.table:
        with open(args.table, "w") as f:
            f.write(table + "\n")
    if args.figure:
        curves = [(f"{run['options']['core']} ({run['options']['env']})", os.path.join(run["dir"], "returns.csv"))
                  for run in runs]
        # Cue-recall games are 10 steps long: average over more of them for a readable line.
        window = 1000 if memory and not atari else 100
        plot_curves(curves, args.figure, title="training returns (one line per run)", window=window)
    return table


if __name__ == "__main__":
    main()
