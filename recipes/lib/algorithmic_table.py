"""Print the results of algorithmic-task runs as a markdown table.

    python recipes/lib/algorithmic_table.py RUN_DIR [RUN_DIR ...] [--figure PATH]

Each RUN_DIR is a run of recipes/lib/algorithmic.sh (code_execution/run.sh or
listops/run.sh): its run_config.txt, train.log (parameter count, the validation
metric after every epoch, training time) and results.txt (fairseq-validate's
metrics of the best checkpoint) are read. Runs that differ only in their seed
(recipes/lib/algorithmic.sh --seed, SEEDS in small.sh and claims.sh) make one
row: the mean and standard deviation of each test metric over the seeds (n - 1
in the denominator), the first metric of every seed, and the validation curve
and training time averaged over the seeds. Runs on several data sets get a data
column (the generator's --depth or --num-vars). Below the table: the
majority-class baseline of the runs' test data. --figure also writes the
validation metric by epoch of every row as a PNG.
"""

import argparse
import collections
import os
import re
import statistics
import sys
from typing import List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seed_groups import group_seeds, mean_and_sd  # noqa: E402  (recipes/lib/seed_groups.py)

# Per task: the validation metric shown as the learning curve (code execution: print_acc,
# which moves long before the paper's all-or-nothing seq_acc), then the test metrics.
TASK_METRICS = {"code_execution": ("print_acc", ["seq_acc", "print_acc", "token_acc"]), "listops": ("acc", ["acc"])}


def parse_fields(line: str) -> dict:
    """``key=value`` pairs separated by spaces."""
    return dict(item.split("=", 1) for item in line.split() if "=" in item)


def read_file(run_dir: str, name: str) -> str:
    path = os.path.join(run_dir, name)
    if not os.path.isfile(path):
        sys.exit(f"error: {path} not found: run recipes/code_execution/run.sh or recipes/listops/run.sh first")
    with open(path) as handle:
        return handle.read()


def read_valid_curve(log: str, metric: str) -> List[Tuple[int, float]]:
    """(epoch, metric) of every validation in a fairseq-train log (--log-format simple)."""
    curve = []
    for epoch, stats in re.findall(r"\| epoch (\d+) \| valid on 'valid' subset \| (.*)", log):
        fields = dict(field.split(" ", 1) for field in stats.split(" | "))
        curve.append((int(epoch), float(fields[metric])))
    return curve


def read_run(run_dir: str) -> dict:
    """The run's directory name, configuration, parameter count, validation curve, training time and
    test/valid metrics keyed by (split, metric)."""
    config = parse_fields(read_file(run_dir, "run_config.txt"))
    log = read_file(run_dir, "train.log")
    curve = read_valid_curve(log, TASK_METRICS[config["task"]][0])
    params = re.findall(r"num\. shared model params: ([0-9,]+)", log)
    seconds = re.findall(r"done training in ([0-9.]+) seconds", log)
    scores = {}
    for line in read_file(run_dir, "results.txt").splitlines():
        fields = parse_fields(line)
        split = fields.pop("split")
        scores.update({(split, metric): value for metric, value in fields.items()})
    return {
        "name": os.path.basename(os.path.normpath(run_dir)),
        "config": config,
        "params": int(params[-1].replace(",", "")) if params else None,
        "curve": curve,
        "seconds": float(seconds[-1]) if seconds else None,
        "scores": scores,
    }


def format_curve(curve: list) -> str:
    """Validation metric after epoch 1, the middle epoch and the last one."""
    if not curve:
        return ""
    picks = sorted({0, len(curve) // 2, len(curve) - 1})
    return " → ".join(f"{curve[i][1]:.1f}" for i in picks)


def data_level(data_dir: str) -> str:
    """The generator's setting of a data set (its generation.txt): "depth D" or "N vars, S statements";
    the directory's name for a data set without one (converted from the authors' files)."""
    path = os.path.join(data_dir, "generation.txt")
    if not os.path.isfile(path):
        return os.path.basename(os.path.normpath(data_dir))
    with open(path) as handle:
        words = handle.read().split()
    flags = dict(zip(words[3::2], words[4::2]))  # after "python -m fwp_plugin.data.TASK"
    if "--depth" in flags:
        return f"depth {flags['--depth']}"
    return f"{flags.get('--num-vars', '5')} vars, {flags.get('--num-statements', '100')} statements"


def majority_baseline(task: str, data_dir: str) -> str:
    """What always predicting the most frequent test answer scores."""
    if task == "listops":
        with open(os.path.join(data_dir, "test.label")) as handle:
            labels = collections.Counter(line.strip() for line in handle)
        label, count = labels.most_common(1)[0]
        return f"acc {100 * count / sum(labels.values()):.1f} (always {label})"
    with open(os.path.join(data_dir, "test.tgt")) as handle:
        printed = collections.Counter(token for line in handle for token in line.split() if token != "_")
    value, count = printed.most_common(1)[0]
    return f"print_acc {100 * count / sum(printed.values()):.1f} (always {value}); seq_acc ~0"


def table(runs: list) -> str:
    task = runs[0]["config"]["task"]
    if any(run["config"]["task"] != task for run in runs):
        sys.exit("error: the runs are of different tasks; tabulate one task at a time")
    curve_metric, test_metrics = TASK_METRICS[task]
    groups = group_seeds(runs, "scores")
    data_dirs = sorted({run["config"]["data"] for run in runs})
    several_data, several_seeds = len(data_dirs) > 1, any(len(group["runs"]) > 1 for group in groups)
    header = ["model", *(["data"] if several_data else []), *(["seeds"] if several_seeds else []), "params",
              "epochs", "train time", f"valid {curve_metric} by epoch", *[f"test {name}" for name in test_metrics],
              *([f"test {test_metrics[0]} by seed"] if several_seeds else [])]
    rows = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for group in groups:
        first = group["runs"][0]
        seconds = [run["seconds"] for run in group["runs"] if run["seconds"] is not None]
        scores = [group["scores"].get(("test", name), []) for name in test_metrics]
        rows.append("| " + " | ".join([
            group["config"]["model"],
            *([data_level(group["config"]["data"])] if several_data else []),
            *([str(len(group["runs"]))] if several_seeds else []),
            f"{first['params'] / 1e3:.0f}K" if first["params"] else "",
            str(len(group["curve"])),
            f"{statistics.fmean(seconds) / 60:.1f} min" if seconds else "",
            format_curve(group["curve"]),
            *[mean_and_sd(values, digits=1) for values in scores],
            *([", ".join(scores[0])] if several_seeds else []),
        ]) + " |")
    baselines = [f"Majority-class baseline on {data}: {majority_baseline(task, data)}" for data in data_dirs]
    return "\n".join([*rows, "", *baselines])


def accuracy_figure(runs: list):
    """A matplotlib Figure: the table's learning-curve metric (validation) against epochs, a line per row
    of the table (the mean over its seeds)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    task = runs[0]["config"]["task"]
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    axes = figure.subplots()
    groups = group_seeds(runs, "scores")
    several_data = len({group["config"]["data"] for group in groups}) > 1
    for group in groups:
        if group["curve"]:
            epochs, values = zip(*group["curve"])
            label = group["config"]["model"] + (f", {data_level(group['config']['data'])}" if several_data else "")
            axes.plot(epochs, values, marker=".", label=label)
    axes.set(xlabel="epoch", ylabel=f"validation {TASK_METRICS[task][0]} (%)", ylim=(0, 100),
             title=task.replace("_", " "))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if axes.lines:
        axes.legend(fontsize="small")
    return figure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dirs", nargs="+", help="run directories of recipes/lib/algorithmic.sh (one task)")
    parser.add_argument("--figure", metavar="PATH", help="also write the runs' validation curves as a PNG")
    args = parser.parse_args()
    runs = [read_run(run_dir) for run_dir in args.run_dirs]
    print(table(runs))
    if args.figure:
        accuracy_figure(runs).savefig(args.figure, dpi=100)


if __name__ == "__main__":
    main()
