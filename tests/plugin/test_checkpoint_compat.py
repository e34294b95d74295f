"""Importing the plugin lets torch >= 2.6 load checkpoints that hold a Namespace and numpy scalars."""

import argparse

import numpy
import pytest
import torch

from fwp_plugin.checkpoint_compat import allow_fairseq_checkpoint_globals, fairseq_checkpoint_globals


@pytest.fixture
def old_style_checkpoint(tmp_path):
    path = tmp_path / "old_checkpoint.pt"
    torch.save(
        {"args": argparse.Namespace(arch="fwp_delta_net_tiny", lr=[0.001]),
         "model": {"w": torch.ones(2)},
         "extra_state": {"best": numpy.float64(3.5), "steps": numpy.int64(7)}},
        path,
    )
    return path


def test_importing_the_plugin_allow_lists_the_classes():
    assert set(fairseq_checkpoint_globals()) <= set(torch.serialization.get_safe_globals())


def test_old_style_checkpoint_loads_the_way_fairseq_loads_it(old_style_checkpoint):
    torch.serialization.clear_safe_globals()
    try:
        with pytest.raises(Exception, match="Unsupported global"):
            torch.load(old_style_checkpoint, map_location="cpu")  # fairseq's call
        allow_fairseq_checkpoint_globals()
        state = torch.load(old_style_checkpoint, map_location="cpu")
    finally:
        allow_fairseq_checkpoint_globals()
    assert state["args"].arch == "fwp_delta_net_tiny"
    assert state["extra_state"] == {"best": 3.5, "steps": 7}
    assert torch.equal(state["model"]["w"], torch.ones(2))
