"""Train an IMPALA agent: ``python -m fwp_plugin.rl.train --env ENV --core CORE --save-dir DIR [options]``.

TorchRL's collector steps the environments with the current policy (in this
process or in actor processes); each batch of unrolls is one learner update
(``learner.impala_loss``, RMSprop, gradient-norm clipping, learning rate
decaying linearly to 0). The run directory holds:

    checkpoint_last.pt        network, optimiser, steps, options (re-running resumes from it)
    checkpoint_<steps>.pt     kept at --keep-checkpoints-at
    log.csv                   one row per progress line: steps, time, steps/s, losses, mean return
    returns.csv               every finished game: steps, return
    learning_curve.png        returns against steps
    eval.json                 with --eval-episodes: greedy returns after training

On resume the actors start fresh games with zero core states.
"""

import csv
import json
import logging
import os
import sys
import time
from argparse import Namespace
from typing import Dict, List, Optional

import torch

from .checkpoints import load_checkpoint, save_checkpoint
from .learner import LossWeights, impala_loss
from .options import check_training_options, training_parser
from .plots import plot_learning_curve
from .run import build_collector, describe_env, evaluate, network_from_options, unrolls

LOG_FIELDS = ["steps", "seconds", "steps_per_second", "loss", "policy_loss", "baseline_loss", "entropy",
              "games", "mean_return"]


class RunLog:
    """Appends progress rows to log.csv and finished games to returns.csv."""

    def __init__(self, save_dir: str):
        self.log_path = os.path.join(save_dir, "log.csv")
        self.returns_path = os.path.join(save_dir, "returns.csv")
        for path, fields in ((self.log_path, LOG_FIELDS), (self.returns_path, ["steps", "return"])):
            if not os.path.exists(path):
                with open(path, "w", newline="") as f:
                    csv.writer(f).writerow(fields)

    def games(self, steps: int, returns: List[float]) -> None:
        with open(self.returns_path, "a", newline="") as f:
            csv.writer(f).writerows([steps, value] for value in returns)

    def progress(self, row: Dict[str, float]) -> None:
        with open(self.log_path, "a", newline="") as f:
            csv.DictWriter(f, LOG_FIELDS).writerow(row)
        print(" | ".join(f"{key} {value:.4g}" if isinstance(value, float) else f"{key} {value}"
                         for key, value in row.items()), flush=True)


def train(options: Namespace) -> Optional[dict]:
    """Train (or resume) the run of ``options``; returns the evaluation summary if one was asked for."""
    check_training_options(options)
    os.makedirs(options.save_dir, exist_ok=True)
    torch.manual_seed(options.seed)
    observation_shape, num_actions = describe_env(options)
    net = network_from_options(options, observation_shape, num_actions).to(options.device)
    optimizer = torch.optim.RMSprop(net.parameters(), lr=options.learning_rate, alpha=options.rmsprop_alpha,
                                    eps=options.rmsprop_eps, momentum=options.rmsprop_momentum)
    steps = load_checkpoint(os.path.join(options.save_dir, "checkpoint_last.pt"), options, net, optimizer)
    weights = LossWeights(options.discount, options.baseline_cost, options.entropy_cost, options.reward_clip)
    log = RunLog(options.save_dir)
    print(f"{options.core} core on {options.env}: {sum(p.numel() for p in net.parameters()):,} parameters, "
          f"state {net.state_size} floats per environment; starting at step {steps:,}", flush=True)

    collector = build_collector(options, net) if steps < options.total_steps else None
    next_checkpoint = (steps // options.checkpoint_every + 1) * options.checkpoint_every
    kept = sorted(at for at in options.keep_checkpoints_at if at > steps)
    start, last_log, steps_at_log, recent_returns, parts = time.time(), time.time(), steps, [], []
    for batch in collector if collector is not None else ():
        batch = unrolls(batch).to(options.device)
        for group in optimizer.param_groups:
            group["lr"] = options.learning_rate * (1 - min(steps, options.total_steps) / options.total_steps)
        loss, stats = impala_loss(net, batch, weights)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), options.grad_norm_clip)
        optimizer.step()
        collector.update_policy_weights_()
        steps += batch.numel()
        returns = batch["next", "episode_return"][batch["next", "game_over"]].tolist()
        log.games(steps, returns)
        recent_returns += returns
        parts.append(stats)
        done = steps >= options.total_steps
        if done or time.time() - last_log >= options.log_every:
            now = time.time()
            log.progress({
                "steps": steps, "seconds": round(now - start, 1),
                "steps_per_second": (steps - steps_at_log) / max(now - last_log, 1e-9),
                **{key: sum(p[key] for p in parts) / len(parts) for key in parts[0]},
                "games": len(recent_returns),
                "mean_return": sum(recent_returns) / len(recent_returns) if recent_returns else float("nan"),
            })
            last_log, steps_at_log, recent_returns, parts = now, steps, [], []
        if done or steps >= next_checkpoint:
            save_checkpoint(os.path.join(options.save_dir, "checkpoint_last.pt"), options, net, optimizer, steps)
            next_checkpoint = (steps // options.checkpoint_every + 1) * options.checkpoint_every
        while kept and steps >= kept[0]:
            save_checkpoint(os.path.join(options.save_dir, f"checkpoint_{kept.pop(0)}.pt"), options, net, optimizer,
                            steps)
        if done:
            break
    if collector is not None:
        collector.shutdown()
    plot_learning_curve(log.returns_path, os.path.join(options.save_dir, "learning_curve.png"),
                        title=f"{options.core} on {options.env}")
    if options.eval_episodes:
        returns = evaluate(net.cpu(), options, options.eval_episodes, num_envs=min(options.eval_episodes, 32),
                           seed=options.seed + 10_000)
        summary = return_summary(returns, steps)
        with open(os.path.join(options.save_dir, "eval.json"), "w") as f:
            json.dump(summary, f, indent=1)
        print(f"greedy evaluation over {len(returns)} games: mean return {summary['mean_return']:.4g}", flush=True)
        return summary
    return None


def return_summary(returns: List[float], steps: int) -> dict:
    """Mean, median and standard deviation of the returns, with the returns and the training steps."""
    values = torch.tensor(returns, dtype=torch.float64)
    return {
        "steps": steps,
        "episodes": len(returns),
        "mean_return": values.mean().item(),
        "median_return": values.median().item(),
        "std_return": values.std().item() if len(returns) > 1 else 0.0,
        "returns": returns,
    }


def quiet_library_logs() -> None:
    """Importing fairseq (for the layers) sets the root logger to DEBUG; the RL commands print their own lines."""
    logging.getLogger().setLevel(logging.WARNING)


def main(argv: Optional[List[str]] = None) -> None:
    options = training_parser().parse_args(argv)
    quiet_library_logs()
    try:
        train(options)
    except ValueError as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
