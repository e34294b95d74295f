"""A benchmark's table as a picture: horizontal bars grouped by table row (matplotlib, no display needed)."""

import logging
from typing import Dict, Optional, Sequence, Tuple

# (axis label, {series name: one value per table row, None where the table has none})
Panel = Tuple[str, Dict[str, Sequence[Optional[float]]]]


def bar_figure(title: str, rows: Sequence[str], panels: Sequence[Panel], log: bool = False):
    """A matplotlib Figure: one panel per (axis label, series) side by side, the table's rows from top
    to bottom, one bar per series in each row; log: a logarithmic value axis."""
    # Building a fairseq model through Hydra leaves the root logger at DEBUG: keep matplotlib's start-up quiet.
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    from matplotlib.figure import Figure
    from matplotlib.ticker import LogFormatter

    most_series = max(len(series) for _, series in panels)
    figure = Figure(figsize=(3 + 4 * len(panels), 1.5 + 0.2 * len(rows) * (most_series + 1)), layout="constrained")
    panel_axes = figure.subplots(1, len(panels), sharey=True, squeeze=False)[0]
    for axes, (label, series) in zip(panel_axes, panels):
        height = 0.8 / len(series)
        for index, (name, values) in enumerate(series.items()):
            offset = (index - (len(series) - 1) / 2) * height
            kept = [(row + offset, value) for row, value in enumerate(values) if value is not None]
            axes.barh([y for y, _ in kept], [value for _, value in kept], height=height, label=name)
        axes.set_xlabel(label)
        if log:
            axes.set_xscale("log")
            axes.xaxis.set_major_formatter(LogFormatter())
            axes.xaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False))
        if len(series) > 1:
            axes.legend(fontsize="small")
    panel_axes[0].set_yticks(range(len(rows)), rows, fontsize="small")
    panel_axes[0].set_ylim(len(rows) - 0.5, -0.5)  # the table's first row on top
    figure.suptitle(title, fontsize="medium")
    return figure
