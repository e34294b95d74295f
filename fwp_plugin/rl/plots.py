"""Learning curves of RL runs as pictures (matplotlib, no display needed)."""

import csv
from typing import Dict, List, Sequence, Tuple


def read_returns(path: str) -> Tuple[List[int], List[float]]:
    """(agent steps, return) of every finished game in a run's returns.csv."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [int(row["steps"]) for row in rows], [float(row["return"]) for row in rows]


def moving_average(values: Sequence[float], window: int) -> List[float]:
    """The mean of each value and up to window - 1 values before it."""
    totals, averages = [0.0], []
    for i, value in enumerate(values):
        totals.append(totals[-1] + value)
        start = max(0, i + 1 - window)
        averages.append((totals[i + 1] - totals[start]) / (i + 1 - start))
    return averages


def plot_curves(curves: Sequence[Tuple[str, str]], output: str, title: str, window: int = 100) -> None:
    """One line per run, (label, returns.csv) each: the moving average of game returns against agent
    steps. Runs with the same label (seeds of one setting) share a colour and one legend entry."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    colours: Dict[str, str] = {}
    for label, path in curves:
        steps, returns = read_returns(path)
        if not steps:
            continue
        first = label not in colours
        colour = colours.setdefault(label, f"C{len(colours) % 10}")
        axes.plot(steps, moving_average(returns, window), color=colour, linewidth=1, alpha=0.8,
                  label=label if first else None)
    axes.set_xlabel("agent steps")
    axes.set_ylabel(f"return (mean of last {window} games)")
    axes.set_title(title)
    if len(colours) > 1:
        axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(output, dpi=100)
    plt.close(figure)


def plot_learning_curve(returns_csv: str, output: str, title: str) -> None:
    plot_curves([(title, returns_csv)], output, title)
