"""Perplexity against the length the fast weights are carried: a markdown table.

    python recipes/wikitext103/length_table.py RUN_DIR [RUN_DIR ...] --data DATA_BIN
        [--split test] [--lengths 128 512 2048 8192 train stream] [--decays 1 0.98] [--gpus N]
        [--softmax-batch TOKENS]

Each RUN_DIR is a run of recipes/wikitext103/train.sh without positional embeddings
(every --mode full run; a truncated run trained with -- --no-token-positional-embeddings),
so that its state can be carried across segments. For every carried length L the
split is cut into ceil(N / L) rows of at most L tokens (N: the split's tokens) and
scored by fairseq-eval-lm with the state carried along each row
(--task language_modeling_carried_state --batch-size ROWS), segments as in training.
L = 128 restarts the state at every segment of the tiny size, as truncated training
does; "train" is the length of the rows of full-context training (the train split
cut into the run's segments per update); "stream" carries the state through the
whole split. --decays scores each run once per carried-state decay (the model's
--carried-state-decay: the carried fast weights multiplied by it at every segment;
1, the default, is the published model). Runs that differ only in their seed make
one row per decay (mean ± standard deviation, as collect.py). All rows are scored
at once (a short length: many rows), and fairseq-eval-lm's --softmax-batch
computes their log-probabilities TOKENS at a time (default 1024) instead of for
all rows together: a model with an adaptive softmax (the paper's) then holds no
rows x tokens x vocabulary tensor, one without it holds only its logits. Each
evaluation's log goes to RUN_DIR/eval_<split>_length_<L>[_decay_<G>].log; the table is printed.
An evaluation whose log already holds a perplexity is not repeated when the log is
newer than the run's best checkpoint, or when the checkpoint is gone (a run
directory kept without its checkpoints, as the proxy's logs in
recipes/wikitext103/results/): re-running resumes.
"""

import argparse
import math
import os
import re
import subprocess
import sys
from typing import Optional

from collect import group_seeds, mean_and_sd, read_run, training

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGIN = os.path.join(os.path.dirname(os.path.dirname(HERE)), "fwp_plugin")
SEGMENT_LENGTH = {"small": 256, "medium": 384, "tiny": 128}  # train.sh's --tokens-per-sample


def split_tokens(data: str, split: str) -> int:
    """Tokens of a fairseq-preprocess split (its lines' tokens, each with its </s>)."""
    from fairseq.data import data_utils

    dataset = data_utils.load_indexed_dataset(os.path.join(data, split))
    if dataset is None:
        sys.exit(f"error: {data}/{split}.bin or {split}.idx not found: --data is the fairseq-preprocess "
                 "output the runs were trained on")
    return int(dataset.sizes.sum())


def carried_length(name: str, data: str, config: dict) -> int:
    """A --lengths entry as tokens: a number, "train" (the full-context training rows' length) or
    "stream" (0: one row)."""
    if name == "stream":
        return 0
    if name == "train":
        return (split_tokens(data, "train") - 1) // int(config["segments_per_update"])
    return int(name)


def best_checkpoint(run_dir: str) -> str:
    return os.path.join(run_dir, "checkpoints", "checkpoint_best.pt")


def log_path(run_dir: str, split: str, label: str, decay: str) -> str:
    """Where the evaluation of ``run_dir`` on ``split`` at carried length ``label`` and ``decay`` is logged."""
    return os.path.join(run_dir, f"eval_{split}_length_{label}" + ("" if float(decay) == 1 else f"_decay_{decay}") + ".log")


def logged_perplexity(log: str) -> Optional[str]:
    """The last perplexity fairseq-eval-lm printed into ``log``; None without one."""
    if not os.path.isfile(log):
        return None
    with open(log) as handle:
        found = re.findall(r"Perplexity: ([0-9.]+)", handle.read())
    return found[-1] if found else None


def reusable_perplexity(run_dir: str, log: str) -> Optional[str]:
    """The logged perplexity if it scores the run's best checkpoint as it is now: the log is newer than the
    checkpoint, or the checkpoint is gone; None otherwise."""
    checkpoint = best_checkpoint(run_dir)
    if not os.path.isfile(log) or (os.path.isfile(checkpoint) and os.path.getmtime(checkpoint) >= os.path.getmtime(log)):
        return None
    return logged_perplexity(log)


def perplexity(run_dir: str, data: str, split: str, rows: int, label: str, decay: str, gpus: int,
               softmax_batch: int) -> str:
    """fairseq-eval-lm's perplexity of the run's best checkpoint with the state carried along ``rows`` rows,
    decayed by ``decay`` at every segment; output distributions ``softmax_batch`` tokens at a time."""
    config = read_run(run_dir)["config"]
    log = log_path(run_dir, split, label, decay)
    command = ["fairseq-eval-lm", data, "--user-dir", PLUGIN, "--path", best_checkpoint(run_dir), "--gen-subset", split,
               "--num-workers", "0", "--task", "language_modeling_carried_state",
               "--tokens-per-sample", str(SEGMENT_LENGTH[config["size"]]), "--batch-size", str(rows),
               "--softmax-batch", str(softmax_batch),
               "--model-overrides", repr({"carried_state_decay": float(decay)})]
    if gpus == 0:
        command.append("--cpu")
    with open(log, "w") as handle:
        finished = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT)
    found = logged_perplexity(log)
    if finished.returncode != 0 or found is None:
        sys.exit(f"error: fairseq-eval-lm failed on {run_dir} ({rows} rows); see {log}")
    return found


def check_run(run_dir: str) -> None:
    """A run of train.sh whose state can be carried: without positional embeddings."""
    config = read_run(run_dir)["config"]
    if config.get("size") not in SEGMENT_LENGTH:
        sys.exit(f"error: {run_dir}/run_config.txt names no size: it is not a run of recipes/wikitext103/train.sh")
    if training(config) == "truncated":
        sys.exit(f"error: {run_dir} is a truncated run with positional embeddings, which restart at every "
                 "segment, so its state cannot be carried; train its twin with train.sh --mode truncated "
                 "-- --no-token-positional-embeddings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dirs", nargs="+", help="run directories of train.sh without positional embeddings")
    parser.add_argument("--data", required=True, help="the fairseq-preprocess directory the runs were trained on")
    parser.add_argument("--split", default="test", choices=["test", "valid"], help="the split to score")
    parser.add_argument("--lengths", nargs="+", default=["128", "512", "2048", "8192", "train", "stream"],
                        help="carried lengths: token counts, 'train' (the full-context training rows' length) "
                             "and 'stream' (the whole split)")
    parser.add_argument("--decays", nargs="+", default=["1"],
                        help="carried-state decays to score each run with (the model's --carried-state-decay; "
                             "1: none, the published model)")
    parser.add_argument("--gpus", type=int, default=0, help="0: the CPU; more than 0: one GPU")
    parser.add_argument("--softmax-batch", type=int, default=1024,
                        help="tokens whose output distributions fairseq-eval-lm computes at once (its "
                             "--softmax-batch): bounds the memory of scoring many rows at once")
    args = parser.parse_args()
    for name in args.lengths:
        if name not in ("train", "stream") and not (name.isdigit() and int(name) > 0):
            parser.error(f"--lengths: {name!r} is neither a positive token count nor 'train' or 'stream'")
    for decay in args.decays:
        try:
            valid = 0 < float(decay) <= 1
        except ValueError:
            valid = False
        if not valid:
            parser.error(f"--decays: {decay!r} is not a number in (0, 1]")
    if args.softmax_batch < 1:
        parser.error(f"--softmax-batch: {args.softmax_batch} tokens; give a positive count, e.g. 1024")
    for run_dir in args.run_dirs:
        check_run(run_dir)

    tokens = split_tokens(args.data, args.split)
    runs = [dict(read_run(run_dir), dir=run_dir, ppl={}) for run_dir in args.run_dirs]
    to_evaluate = []
    for run in runs:
        for decay in args.decays:
            for name in args.lengths:
                found = reusable_perplexity(run["dir"], log_path(run["dir"], args.split, name, decay))
                if found is None:
                    to_evaluate.append((run, decay, name))
                run["ppl"][(decay, name)] = found
    for run_dir in sorted({run["dir"] for run, _, _ in to_evaluate}):
        if not os.path.isfile(best_checkpoint(run_dir)):
            sys.exit(f"error: {best_checkpoint(run_dir)} not found and not every evaluation of the run is logged "
                     "in it: train first")
    for run, decay, name in to_evaluate:
        length = carried_length(name, args.data, run["config"])
        rows = 1 if length == 0 else math.ceil(tokens / length)
        print(f"== {run['dir']}: carried length {name} ({rows} rows), decay {decay}", file=sys.stderr)
        run["ppl"][(decay, name)] = perplexity(run["dir"], args.data, args.split, rows, name, decay, args.gpus,
                                               args.softmax_batch)

    header = " | ".join(f"{name} tokens" if name.isdigit() else {"train": "training rows"}.get(name, name)
                        for name in args.lengths)
    print(f"| model | training | decay | seeds | {header} |")
    print("|---|---|---:|---:|" + "---:|" * len(args.lengths))
    for group in group_seeds(runs, "ppl"):
        for decay in args.decays:
            cells = " | ".join(mean_and_sd(group["ppl"][(decay, name)]) for name in args.lengths)
            print(f"| {group['config']['model']} | {training(group['config'])} | {decay} | {len(group['runs'])} "
                  f"| {cells} |")


if __name__ == "__main__":
    main()
