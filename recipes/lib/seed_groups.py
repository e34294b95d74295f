"""Runs that differ only in their seed, grouped, and a metric over a group's seeds as "mean ± sd".

Read by recipes/wikitext103/collect.py (and through it length_table.py) and by
recipes/lib/algorithmic_table.py. A run is a dict with "name" (its directory's
name), "config" (its run_config.txt, a "seed" field included), "curve" (the
validation metric as (step, value) pairs) and a dict of scores under the name
that group_seeds is given.
"""

import re
import statistics
from typing import Dict, List


def group_seeds(runs: list, scores: str) -> list:
    """Runs whose configurations differ only in the seed, as one group each, in the order of their first run:
    its name (the first run's directory name without a trailing _seedS), configuration without the seed,
    its runs, run[scores] as a dict of lists over the seeds that have each key, and the validation curve
    averaged over the seeds at the steps all of them validated at."""
    groups: Dict[tuple, dict] = {}
    for run in runs:
        config = {key: value for key, value in run["config"].items() if key != "seed"}
        group = groups.setdefault(
            tuple(sorted(config.items())), {"name": re.sub(r"_seed\d+$", "", run["name"]), "config": config, "runs": []}
        )
        group["runs"].append(run)
    for group in groups.values():
        keys = sorted({key for run in group["runs"] for key in run[scores]})
        group[scores] = {key: [run[scores][key] for run in group["runs"] if key in run[scores]] for key in keys}
        curves = [dict(run["curve"]) for run in group["runs"] if run["curve"]]
        shared = sorted(set.intersection(*(set(curve) for curve in curves))) if curves else []
        group["curve"] = [(step, statistics.fmean(curve[step] for curve in curves)) for step in shared]
    return list(groups.values())


def mean_and_sd(values: List[str], digits: int = 2) -> str:
    """One value as it is; several as "mean ± standard deviation" (n - 1 in the denominator) with
    `digits` decimals; none as ""."""
    if len(values) < 2:
        return "".join(values)
    numbers = [float(value) for value in values]
    return f"{statistics.fmean(numbers):.{digits}f} ± {statistics.stdev(numbers):.{digits}f}"
