"""Logging the algorithmic tasks' loss and accuracies with fairseq's metrics.

Counts are logged as sums (hidden meters, names starting with ``_``) and the
accuracies derived from them, so they are exact over a whole validation pass,
appear in fairseq-train's validation lines and fairseq-validate's output, and
can be the ``--best-checkpoint-metric``.
"""

import math
from typing import Dict, List

from fairseq.logging import metrics


def summed(logging_outputs: List[Dict], key: str) -> float:
    """The sum of ``key`` over the logs, as a float (data-parallel syncs hand back tensors)."""
    return float(sum(log.get(key, 0) for log in logging_outputs))


def log_loss(logging_outputs: List[Dict]) -> None:
    """``loss``: the summed cross-entropy per ``sample_size``, in bits (fairseq's convention);
    nothing when no position was scored (a worker's empty share)."""
    sample_size = summed(logging_outputs, "sample_size")
    if sample_size > 0:
        metrics.log_scalar("loss", summed(logging_outputs, "loss") / sample_size / math.log(2), sample_size, round=3)


def log_percentage(name: str, count_key: str, total_key: str, logging_outputs: List[Dict]) -> None:
    """``name``: 100 * sum(count) / sum(total), rounded to 2 decimals (0 when nothing was counted)."""
    for key in (count_key, total_key):
        metrics.log_scalar_sum(f"_{key}", summed(logging_outputs, key))
    metrics.log_derived(name, lambda meters: percentage(meters[f"_{count_key}"].sum, meters[f"_{total_key}"].sum))


def percentage(count: float, total: float) -> float:
    return round(100.0 * count / total, 2) if total > 0 else 0.0
