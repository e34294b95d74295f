"""Resuming a carried-state run continues its rows exactly: the states are in the checkpoint."""

import os
import subprocess

import pytest
import torch

from plugin_helpers import COMMAND_ENV, PLUGIN_DIR, REPO_ROOT, SHARED_DATA

TRAIN = ("--user-dir", PLUGIN_DIR, "--task", "language_modeling_carried_state", "--arch", "fwp_delta_rnn_tiny",
         "--no-token-positional-embeddings", "--dropout", "0.1", "--tokens-per-sample", "16", "--batch-size", "3",
         "--optimizer", "adam", "--lr", "2e-3", "--lr-scheduler", "fixed", "--seed", "1", "--cpu",
         "--log-format", "simple", "--no-epoch-checkpoints", "--disable-validation", "--num-workers", "0")


def train(data_bin, save_dir, max_update):
    result = subprocess.run(["fairseq-train", str(data_bin), *TRAIN, "--save-dir", str(save_dir),
                             "--max-update", str(max_update)], capture_output=True, text=True, env=COMMAND_ENV)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return torch.load(save_dir / "checkpoint_last.pt", map_location="cpu", weights_only=False)


@pytest.fixture(scope="module")
def data_bin(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("resume")
    prepared = subprocess.run(["bash", os.path.join(REPO_ROOT, "recipes", "prepare_data.sh"), SHARED_DATA,
                               str(out_dir)], capture_output=True, text=True,
                              env=dict(COMMAND_ENV, TRAIN_LINES="60", EVAL_LINES="20"))
    assert prepared.returncode == 0, prepared.stderr[-3000:]
    return out_dir / "data-bin"


def test_half_then_resume_equals_straight(data_bin, tmp_path):
    """6 updates straight == 3 updates, a new process resuming from checkpoint_last, 3 more (mid-epoch)."""
    straight = train(data_bin, tmp_path / "straight", 6)
    half = train(data_bin, tmp_path / "resumed", 3)
    assert half["extra_state"]["train_iterator"]["iterations_in_epoch"] == 3  # the checkpoint is mid-epoch
    assert half["extra_state"]["train_iterator"]["carried_state"]  # ... and holds the states of the rows
    resumed = train(data_bin, tmp_path / "resumed", 6)
    assert resumed["extra_state"]["train_iterator"]["iterations_in_epoch"] == 6
    for name, weights in straight["model"].items():
        assert torch.equal(weights, resumed["model"][name]), name
