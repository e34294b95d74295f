"""Print the results of algorithmic-task runs as a markdown table.

    python recipes/lib/algorithmic_table.py RUN_DIR [RUN_DIR ...] [--figure PATH]

Each RUN_DIR is a run of recipes/lib/algorithmic.sh (code_execution/run.sh or
listops/run.sh): its run_config.txt, train.log (parameter count, the validation
metric after every epoch, training time) and results.txt (fairseq-validate's
metrics of the best checkpoint) are read. Below the table: the majority-class
baseline of the runs' test data. --figure also writes the validation metric
by epoch of every run as a PNG.
"""

import argparse
import collections
import os
import re
import sys
from typing import List, Tuple

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
    """The run's configuration, parameter count, validation curve, training time and results."""
    config = parse_fields(read_file(run_dir, "run_config.txt"))
    log = read_file(run_dir, "train.log")
    curve = read_valid_curve(log, TASK_METRICS[config["task"]][0])
    params = re.findall(r"num\. shared model params: ([0-9,]+)", log)
    seconds = re.findall(r"done training in ([0-9.]+) seconds", log)
    results = {}
    for line in read_file(run_dir, "results.txt").splitlines():
        fields = parse_fields(line)
        results[fields.pop("split")] = fields
    return {
        "config": config,
        "params": int(params[-1].replace(",", "")) if params else None,
        "curve": curve,
        "seconds": float(seconds[-1]) if seconds else None,
        "results": results,
    }


def format_curve(curve: list) -> str:
    """Validation metric after epoch 1, the middle epoch and the last one."""
    if not curve:
        return ""
    picks = sorted({0, len(curve) // 2, len(curve) - 1})
    return " → ".join(f"{curve[i][1]:.1f}" for i in picks)


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
    header = ["model", "params", "epochs", "train time", f"valid {curve_metric} by epoch",
              *[f"test {name}" for name in test_metrics]]
    rows = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for run in runs:
        test = run["results"].get("test", {})
        rows.append("| " + " | ".join([
            run["config"]["model"],
            f"{run['params'] / 1e3:.0f}K" if run["params"] else "",
            str(len(run["curve"])),
            f"{run['seconds'] / 60:.1f} min" if run["seconds"] else "",
            format_curve(run["curve"]),
            *[test.get(name, "") for name in test_metrics],
        ]) + " |")
    data_dirs = {run["config"]["data"] for run in runs}
    baselines = [f"Majority-class baseline on {data}: {majority_baseline(task, data)}" for data in sorted(data_dirs)]
    return "\n".join([*rows, "", *baselines])


def accuracy_figure(runs: list):
    """A matplotlib Figure: the table's learning-curve metric (validation) against epochs, a line per run."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    task = runs[0]["config"]["task"]
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    axes = figure.subplots()
    for run in runs:
        if run["curve"]:
            epochs, values = zip(*run["curve"])
            axes.plot(epochs, values, marker=".", label=run["config"]["model"])
    axes.set(xlabel="epoch", ylabel=f"validation {TASK_METRICS[task][0]} (%)", ylim=(0, 100),
             title=task.replace("_", " "))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if axes.lines:
        axes.legend(fontsize="small")
    return figure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dirs", nargs="+", help="run directories of recipes/lib/algorithmic.sh")
    parser.add_argument("--figure", metavar="PATH", help="also write the runs' validation curves as a PNG")
    args = parser.parse_args()
    runs = [read_run(run_dir) for run_dir in args.run_dirs]
    print(table(runs))
    if args.figure:
        accuracy_figure(runs).savefig(args.figure, dpi=100)


if __name__ == "__main__":
    main()
