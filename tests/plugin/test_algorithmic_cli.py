"""fairseq-train, then fairseq-validate on the checkpoint, for each algorithmic task.

Both run in this process through fairseq's own entry points (``cli_main`` with
the command line in ``sys.argv``), which saves the seconds a fresh Python
with fairseq takes to start.
"""

import logging
import re
import sys

import pytest
from fairseq_cli import train, validate

from algorithmic_helpers import split_metrics, write_code_execution_data, write_listops_data
from plugin_helpers import PLUGIN_DIR

RUNS = {
    "code_execution": dict(write=write_code_execution_data, criterion="code_execution_accuracy",
                           arch="fwp_delta_rnn_algorithmic_tiny", metrics=("seq_acc", "print_acc", "token_acc")),
    "listops": dict(write=write_listops_data, criterion="listops_accuracy",
                    arch="transformer_algorithmic_tiny", metrics=("acc",)),
}


def run_cli(entry_point, argv, monkeypatch, caplog):
    """What ``entry_point`` logs when run as the command line ``argv``."""
    monkeypatch.setattr(sys, "argv", argv)
    # fairseq-validate replaces the root logger's handlers, meant for a process of its own;
    # here that would remove pytest's log capture for the rest of the session.
    monkeypatch.setattr(validate, "reset_logging", lambda: None)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        entry_point.cli_main()
    return caplog.text


def logged_metrics(log, subset):
    """{name: value} of the last line fairseq logged for validating on ``subset``."""
    line = re.findall(rf"valid on '{subset}' subset \| (.*)", log)[-1]
    return {name: float(value) for name, value in re.findall(r"(\w+) ([-0-9.]+)(?: \||$)", line)}


@pytest.mark.parametrize("task", RUNS)
def test_train_then_validate_through_the_fairseq_command_line(task, tmp_path, monkeypatch, caplog):
    run = RUNS[task]
    # 13 examples per split, not a multiple of the batch size 8 (nor of fairseq's default required multiple 8).
    data, save_dir = run["write"](tmp_path / "data", lines=13), tmp_path / "checkpoints"
    best = run["metrics"][0]
    train_log = run_cli(train, [
        "fairseq-train", str(data), "--user-dir", PLUGIN_DIR, "--task", task, "--criterion", run["criterion"],
        "--arch", run["arch"], "--optimizer", "adam", "--lr", "3e-3", "--batch-size", "8", "--max-update", "10",
        "--cpu", "--num-workers", "0", "--seed", "1", "--save-dir", str(save_dir), "--no-epoch-checkpoints",
        "--log-format", "simple", "--best-checkpoint-metric", best, "--maximize-best-checkpoint-metric",
    ], monkeypatch, caplog)
    valid = logged_metrics(train_log, "valid")
    assert set(run["metrics"]) | {"loss", f"best_{best}"} <= set(valid)
    assert valid["num_updates"] == 10

    checkpoint = save_dir / "checkpoint_best.pt"
    validate_log = run_cli(validate, [
        "fairseq-validate", str(data), "--user-dir", PLUGIN_DIR, "--task", task, "--path", str(checkpoint),
        "--valid-subset", "test", "--batch-size", "8", "--cpu", "--num-workers", "0",
    ], monkeypatch, caplog)
    test = logged_metrics(validate_log, "test")
    assert set(run["metrics"]) <= set(test)

    # fairseq-validate's numbers over 2 batches (8 + 5) are those of the whole split in one batch:
    # every example is scored.
    expected = split_metrics(checkpoint, data, "test", run["criterion"])
    for name in run["metrics"]:
        assert test[name] == pytest.approx(expected[name]) and 0 <= test[name] <= 100
