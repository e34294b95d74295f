"""What the RL tests share: tiny options, networks and collected batches."""

import torch

from fwp_plugin.rl.options import training_parser
from fwp_plugin.rl.run import build_collector, describe_env, network_from_options, unrolls

TINY_NETWORK = ["--torso-dim", "16", "--core-dim", "16", "--core-heads", "2", "--core-ffn-dim", "24",
                "--lstm-dim", "16"]


def tiny_options(core, *flags, env="cue_recall", delay=2, save_dir="unused"):
    return training_parser().parse_args(
        ["--env", env, "--core", core, "--save-dir", str(save_dir), "--delay", str(delay), "--envs-per-actor", "4",
         "--unroll-length", "6", *TINY_NETWORK, *flags]
    )


def tiny_net(options):
    torch.manual_seed(0)
    return network_from_options(options, *describe_env(options))


def collect_batches(options, net, count):
    """The first ``count`` [B, T] batches of the collector built from ``options``."""
    collector = build_collector(options, net)
    batches = []
    for batch in collector:
        batches.append(unrolls(batch).clone())
        if len(batches) == count:
            break
    collector.shutdown()
    return batches
