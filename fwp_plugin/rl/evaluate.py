"""Greedy evaluation of a trained agent: ``python -m fwp_plugin.rl.evaluate CHECKPOINT [--episodes 30]``.

Plays whole games (all lives) with the arg-max action and prints the mean,
median and standard deviation of their returns.
"""

import json
import sys
from typing import List, Optional

from .checkpoints import load_for_evaluation
from .options import evaluation_parser
from .run import describe_env, evaluate, network_from_options
from .train import quiet_library_logs, return_summary


def main(argv: Optional[List[str]] = None) -> dict:
    args = evaluation_parser().parse_args(argv)
    quiet_library_logs()
    try:
        options, weights, steps = load_for_evaluation(args.checkpoint)
        net = network_from_options(options, *describe_env(options))
        net.load_state_dict(weights)
        returns = evaluate(net, options, args.episodes, args.num_envs, args.seed)
    except ValueError as error:
        sys.exit(f"error: {error}")
    summary = return_summary(returns, steps)
    print(f"{options.core} on {options.env}, {len(returns)} games: mean return {summary['mean_return']:.4g}, "
          f"median {summary['median_return']:.4g}, std {summary['std_return']:.4g}")
    if args.output:
        with open(args.output, "w") as f:
            json.dump(summary, f, indent=1)
    return summary


if __name__ == "__main__":
    main()
