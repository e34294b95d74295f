"""Print the perplexities of several runs as a markdown table beside the paper's numbers.

    python recipes/wikitext103/collect.py RUN_DIR [RUN_DIR ...] [--figure PATH]

Each RUN_DIR is a run of recipes/wikitext103/train.sh evaluated by eval.sh
(its run_config.txt and results.txt are read). Runs that differ only in their
seed (train.sh --seed) make one row: the mean and standard deviation over the
seeds (n - 1 in the denominator), with the number of seeds. Rows whose runs
were trained with fairseq flags that not all runs share (train.sh's flags
after --, e.g. --attn-normalize) name those flags after the model. --figure also
writes a PNG: validation perplexity against updates for every row (from the
train.logs; the mean over the seeds), and each row's test perplexities beside
the paper's.
"""

import argparse
import os
import re
import statistics
import sys
from typing import List, Tuple

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from seed_groups import group_seeds, mean_and_sd  # noqa: E402  (recipes/lib/seed_groups.py)

# WikiText-103 test perplexity, small setting (MODELS.md), by (model, training, evaluation): the
# truncated models scored with the sliding window, the full-context ones with the state carried
# through the test set as one stream.
PAPER_TEST_PPL = {
    ("transformer", "truncated", "sliding_window"): "34.1",
    ("linear_transformer", "truncated", "sliding_window"): "38.3",
    ("delta_net", "truncated", "sliding_window"): "35.2",
    ("delta_mlp", "truncated", "sliding_window"): "36.8",
    ("delta_rnn", "truncated", "sliding_window"): "35.0",
    ("delta_lstm", "truncated", "sliding_window"): "33.8",
    ("rdn", "truncated", "sliding_window"): "35.2",
    ("delta_rnn", "full", "carried_state"): "32.8",
    ("rdn", "full", "carried_state"): "33.6",
}


def parse_fields(line: str) -> dict:
    """``key=value`` pairs separated by spaces; the value of ``extra=`` (train.sh's fairseq flags, last)
    is the rest of the line."""
    line, has_extra, extra = line.partition("extra=")
    fields = dict(item.split("=", 1) for item in line.split() if "=" in item)
    return {**fields, "extra": extra.strip()} if has_extra else fields


def read_valid_curve(log: str) -> List[Tuple[int, float]]:
    """(updates, perplexity) of every validation in a fairseq-train log (--log-format simple)."""
    curve = []
    for stats in re.findall(r"\| valid on 'valid' subset \| (.*)", log):
        fields = dict(field.split(" ", 1) for field in stats.split(" | "))
        curve.append((int(fields["num_updates"]), float(fields["ppl"])))
    return curve


def read_run(run_dir: str) -> dict:
    """The run's directory name, configuration, perplexities keyed by (split, evaluation) and
    validation curve (empty without a train.log)."""
    for name in ("run_config.txt", "results.txt"):
        if not os.path.isfile(os.path.join(run_dir, name)):
            sys.exit(f"error: {run_dir}/{name} not found: train with train.sh and evaluate with eval.sh first")
    with open(os.path.join(run_dir, "results.txt")) as handle:
        results = [parse_fields(line) for line in handle if line.strip()]
    with open(os.path.join(run_dir, "run_config.txt")) as handle:
        config = parse_fields(handle.read())
    curve = []
    if os.path.isfile(os.path.join(run_dir, "train.log")):
        with open(os.path.join(run_dir, "train.log")) as handle:
            curve = read_valid_curve(handle.read())
    return {
        "name": os.path.basename(os.path.normpath(run_dir)),
        "config": config,
        "ppl": {(r["split"], r["eval"]): r["ppl"] for r in results},
        "curve": curve,
    }


def training(config: dict) -> str:
    """The training column: truncated or full, and "no positions" for a truncated run without positional
    embeddings (the twin of a full-context run: its state can be carried, as length_table.py does)."""
    if config["mode"] == "truncated" and "--no-token-positional-embeddings" in config.get("extra", ""):
        return "truncated, no positions"
    return config["mode"]


def own_flags(groups: list) -> List[str]:
    """Each group's fairseq flags (train.sh's flags after --, one "--flag [value]" each) that not every group
    has, joined by spaces; --no-token-positional-embeddings is left to the training column."""
    flags = [re.split(r" (?=--)", group["config"].get("extra", "")) for group in groups]
    shared = set.intersection(*map(set, flags)) | {"--no-token-positional-embeddings", ""}
    return [" ".join(flag for flag in group_flags if flag not in shared) for group_flags in flags]


def paper_ppl(config: dict, evaluation: str) -> str:
    """The paper's test perplexity for a small-setting run's model, training mode and evaluation; "" otherwise."""
    if config["size"] != "small":
        return ""
    return PAPER_TEST_PPL.get((config["model"], config["mode"], evaluation), "")


def table(runs: list) -> str:
    rows = ["| model | size | training | evaluation | seeds | valid ppl | test ppl | paper test ppl (small) |",
            "|---|---|---|---|---:|---:|---:|---:|"]
    groups = group_seeds(runs, "ppl")
    for group, flags in zip(groups, own_flags(groups)):
        config = group["config"]
        name = " ".join([config["model"], flags]).strip()
        evaluations = sorted({evaluation for _, evaluation in group["ppl"]})
        for evaluation in evaluations:
            valid, test = (group["ppl"].get((split, evaluation), []) for split in ("valid", "test"))
            rows.append(
                f"| {name} | {config['size']} | {training(config)} | {evaluation.replace('_', ' ')} "
                f"| {max(len(valid), len(test))} | {mean_and_sd(valid)} | {mean_and_sd(test)} "
                f"| {paper_ppl(config, evaluation)} |"
            )
    return "\n".join(rows)


def perplexity_figure(runs: list):
    """A matplotlib Figure. Left: validation perplexity against updates, one line per group of seeds (named by
    its directory and its own flags); right: test perplexity per group and evaluation (the mean, with the standard
    deviation as an error bar over several seeds), beside the paper's where the table has it."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import LogFormatter

    groups = group_seeds(runs, "ppl")
    names = [" ".join([group["name"], flags]).strip() for group, flags in zip(groups, own_flags(groups))]
    bars = [(f"{name}, {evaluation.replace('_', ' ')}", [float(ppl) for ppl in values],
             paper_ppl(group["config"], evaluation))
            for group, name in zip(groups, names)
            for (split, evaluation), values in sorted(group["ppl"].items()) if split == "test"]
    figure = Figure(figsize=(13, 1.5 + max(4.0, 0.35 * len(bars))), layout="constrained")
    curves, tests = figure.subplots(1, 2)
    for group, name in zip(groups, names):
        if group["curve"]:
            updates, ppl = zip(*group["curve"])
            curves.plot(updates, ppl, marker=".", label=name)
    curves.set(xlabel="updates", ylabel="validation perplexity", yscale="log", title="validation during training")
    curves.yaxis.set_major_formatter(LogFormatter())
    curves.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False))
    if curves.lines:
        curves.legend(fontsize="small")
    rows = range(len(bars))
    papers = [(row, float(paper)) for row, (_, _, paper) in zip(rows, bars) if paper]
    shift = 0.2 if papers else 0.0
    means = [statistics.fmean(values) for _, values, _ in bars]
    spreads = [statistics.stdev(values) if len(values) > 1 else 0.0 for _, values, _ in bars]
    ours = tests.barh([row - shift for row in rows], means, height=0.4, label="this run",
                      xerr=spreads if any(spreads) else None)
    tests.bar_label(ours, fmt="%.1f", fontsize="small")
    if papers:
        theirs = tests.barh([row + shift for row, _ in papers], [ppl for _, ppl in papers], height=0.4,
                            label="paper (small)")
        tests.bar_label(theirs, fmt="%.1f", fontsize="small")
        tests.legend(fontsize="small")
    tests.set_yticks(list(rows), [label for label, _, _ in bars], fontsize="small")
    tests.set_ylim(len(bars) - 0.5, -0.5)  # first row on top
    tests.margins(x=0.15)  # room for the numbers
    tests.set(xlabel="test perplexity", title="test perplexity")
    return figure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dirs", nargs="+", help="run directories of train.sh / eval.sh")
    parser.add_argument("--figure", metavar="PATH", help="also write the runs' curves and test perplexities as a PNG")
    args = parser.parse_args()
    runs = [read_run(run_dir) for run_dir in args.run_dirs]
    print(table(runs))
    if args.figure:
        perplexity_figure(runs).savefig(args.figure, dpi=100)


if __name__ == "__main__":
    main()
