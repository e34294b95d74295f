"""Checkpoints of an RL run: network, optimiser, agent steps and the options that built them."""

import os
from argparse import Namespace
from typing import Tuple

import torch

from .agent import ImpalaNet
from .cores import core_name
from .options import NETWORK_OPTIONS


def save_checkpoint(path: str, options: Namespace, net: ImpalaNet, optimizer, steps: int) -> None:
    """Write atomically (a temporary file renamed), so an interrupted run keeps its last good checkpoint."""
    state = {"network": net.state_dict(), "optimizer": optimizer.state_dict(), "steps": steps, "options": vars(options)}
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)


def read_checkpoint(path: str) -> dict:
    """The checkpoint at ``path``; a core saved under an old spelling (``delta``) reads as its name now."""
    if not os.path.isfile(path):
        raise ValueError(f"no checkpoint at {path}: pass a checkpoint_*.pt written by fwp_plugin.rl.train")
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    checkpoint["options"]["core"] = core_name(checkpoint["options"]["core"])
    return checkpoint


def check_same_network(saved: dict, options: Namespace, path: str) -> None:
    """The checkpoint's network options equal ``options``'s, or a ValueError naming each difference."""
    differences = [
        f"--{name.replace('_', '-')} {saved[name]} (this command: {getattr(options, name)})"
        for name in NETWORK_OPTIONS
        if saved.get(name) != getattr(options, name)
    ]
    if differences:
        raise ValueError(
            f"{path} holds a network trained with {', '.join(differences)}; "
            "pass the same options to resume, or a new --save-dir for a new run"
        )


def load_checkpoint(path: str, options: Namespace, net: ImpalaNet, optimizer) -> int:
    """Resume from ``path`` if it exists (same network options required): the agent steps done, else 0."""
    if not os.path.exists(path):
        return 0
    checkpoint = read_checkpoint(path)
    check_same_network(checkpoint["options"], options, path)
    net.load_state_dict(checkpoint["network"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["steps"]


def load_for_evaluation(path: str) -> Tuple[Namespace, dict, int]:
    """(the run's options, its network weights, its agent steps) from a checkpoint."""
    checkpoint = read_checkpoint(path)
    return Namespace(**checkpoint["options"]), checkpoint["network"], checkpoint["steps"]
