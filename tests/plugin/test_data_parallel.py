"""Every task with two data-parallel workers: training, validation (during training and with
fairseq-validate) and a mid-epoch resume, against one process. The workers are CPU processes over
gloo: the code paths fairseq takes with one process per GPU (NCCL itself is not tested here).

A resumed run must end with the same weights as the run that did not stop (fairseq seeds every
update, so two-worker runs are deterministic); the validation metrics must equal those of one
process scoring the whole split.

fairseq-validate gathers its workers' results through a CUDA buffer (``all_gather_list``); on
CPU workers the tests allocate that buffer on the CPU first (``plugin_helpers.CPU_WORKER``), the one
difference from a GPU run."""

import os
import re
import subprocess

import pytest
import torch

from algorithmic_helpers import split_metrics, write_code_execution_data, write_listops_data
from plugin_helpers import COMMAND_ENV, PLUGIN_DIR, REPO_ROOT, SHARED_DATA, run_workers

ALGORITHMIC = {
    "code_execution": dict(
        write=write_code_execution_data,
        criterion="code_execution_accuracy",
        arch="fwp_delta_rnn_algorithmic_tiny",
        metrics=("seq_acc", "print_acc", "token_acc"),
    ),
    "listops": dict(
        write=write_listops_data, criterion="listops_accuracy", arch="lstm_algorithmic_tiny", metrics=("acc",)
    ),
}
# 13 examples per split in batches of 5: 3 batches, so one worker gets 2 and the other 1 and a dummy.
EXAMPLES, BATCH = 13, 5
COMMON = (
    "--user-dir",
    PLUGIN_DIR,
    "--optimizer",
    "adam",
    "--lr",
    "3e-3",
    "--seed",
    "1",
    "--num-workers",
    "0",
    "--log-format",
    "simple",
    "--no-epoch-checkpoints",
    "--ddp-backend",
    "legacy_ddp",
)
LANGUAGE_MODEL = (
    "--arch",
    "fwp_lm",
    "--decoder-layers",
    "2",
    "--decoder-embed-dim",
    "32",
    "--decoder-attention-heads",
    "4",
    "--decoder-ffn-embed-dim",
    "64",
    "--dropout",
    "0.1",
    "--tokens-per-sample",
    "16",
)
LANGUAGE_MODELLING = {
    "language_modeling": (*LANGUAGE_MODEL, "--batch-size", "4"),
    # two rows per worker; the run in one process below has all four
    "language_modeling_carried_state": (*LANGUAGE_MODEL, "--no-token-positional-embeddings", "--batch-size", "2"),
}


def checkpoint(save_dir, name="checkpoint_last.pt"):
    return torch.load(save_dir / name, map_location="cpu", weights_only=False)


def assert_same_weights(save_dir, other_save_dir):
    expected, got = checkpoint(save_dir)["model"], checkpoint(other_save_dir)["model"]
    for name, weights in expected.items():
        assert torch.equal(weights, got[name]), name


def last_valid_metrics(log, subset="valid"):
    """{name: value} of the last line fairseq logged for validating on ``subset``."""
    line = re.findall(rf"(?:valid on '{subset}' subset|\| {subset} \| epoch \d+) \| (.*)", log)[-1]
    return {name: float(value) for name, value in re.findall(r"(\w+) ([-0-9.]+)(?: \||$)", line)}


def validate_args(data, task, checkpoint):
    """fairseq-validate's arguments for the test split of ``data`` (the batch size aside)."""
    options = "--num-workers 0 --valid-subset test".split()
    return [str(data), "--user-dir", PLUGIN_DIR, "--task", task, "--path", str(checkpoint), *options]


def train_and_resume(data, task_flags, tmp_path, max_update):
    """Two workers train ``max_update`` updates straight, and in another directory stop after one update
    (mid-epoch) and resume to ``max_update``. (straight run's save dir, its rank-0 log, resumed save dir)."""
    train = [str(data), *COMMON, *task_flags]
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    straight_log = run_workers("train", [*train, "--save-dir", str(straight), "--max-update", str(max_update)])[0]
    run_workers("train", [*train, "--save-dir", str(resumed), "--max-update", "1"])
    assert checkpoint(resumed)["extra_state"]["train_iterator"]["iterations_in_epoch"] == 1
    run_workers("train", [*train, "--save-dir", str(resumed), "--max-update", str(max_update)])
    return straight, straight_log, resumed


@pytest.mark.parametrize("task", ALGORITHMIC)
def test_algorithmic_task_trains_validates_and_resumes_with_two_workers(task, tmp_path):
    run = ALGORITHMIC[task]
    data = run["write"](tmp_path / "data", lines=EXAMPLES)
    task_flags = ("--task", task, "--criterion", run["criterion"], "--arch", run["arch"], "--batch-size", str(BATCH))
    straight, log, resumed = train_and_resume(data, task_flags, tmp_path, max_update=3)  # 2 updates per epoch
    assert_same_weights(straight, resumed)

    # Validation during training (after update 3, the last) and fairseq-validate with an uneven and with
    # an empty share (one batch of 16: the second worker gets none) score the whole split.
    expected = {
        split: split_metrics(straight / "checkpoint_last.pt", data, split, run["criterion"])
        for split in ("valid", "test")
    }
    during_training = last_valid_metrics(log)
    assert during_training["num_updates"] == 3
    validate = validate_args(data, task, straight / "checkpoint_last.pt")
    for batch_size in (BATCH, 16):
        validated = last_valid_metrics(run_workers("validate", [*validate, "--batch-size", str(batch_size)])[0], "test")
        for name in run["metrics"]:
            assert validated[name] == pytest.approx(expected["test"][name]), (batch_size, name)
    for name in run["metrics"]:
        assert during_training[name] == pytest.approx(expected["valid"][name]), name


@pytest.fixture(scope="module")
def data_bin(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("data_parallel")
    prepared = subprocess.run(
        ["bash", os.path.join(REPO_ROOT, "recipes", "prepare_data.sh"), SHARED_DATA, str(out_dir)],
        capture_output=True,
        text=True,
        env=dict(COMMAND_ENV, TRAIN_LINES="40", EVAL_LINES="20"),
    )
    assert prepared.returncode == 0, prepared.stderr[-3000:]
    return out_dir / "data-bin"


@pytest.mark.parametrize("task", LANGUAGE_MODELLING)
def test_language_model_trains_validates_and_resumes_with_two_workers(task, data_bin, tmp_path):
    task_flags = ("--task", task, *LANGUAGE_MODELLING[task])
    straight, log, resumed = train_and_resume(data_bin, task_flags, tmp_path, max_update=4)
    assert_same_weights(straight, resumed)
    if task == "language_modeling_carried_state":  # every worker's rows resumed from their states
        saved = checkpoint(resumed)["extra_state"]["train_iterator"]
        assert sorted(saved["carried_state_of_workers"]) == [0, 1] and saved["carried_state_of_workers"][1]
        assert "resumes its rows from empty states" not in log

    # fairseq-validate: two workers give the loss of one process with the same batches (for the carried
    # state: with both workers' rows). fairseq's language_modeling task fails in fairseq-validate when the
    # batches do not split evenly between the workers (6 batches of 7 here).
    batch_sizes = {"language_modeling_carried_state": (2, 4), "language_modeling": (7, 7)}[task]  # worker, process
    validate = [*validate_args(data_bin, task, straight / "checkpoint_last.pt"), "--tokens-per-sample", "16"]
    two_workers = last_valid_metrics(
        run_workers("validate", [*validate, "--batch-size", str(batch_sizes[0])])[0], "test"
    )
    one_process = subprocess.run(
        ["fairseq-validate", *validate, "--batch-size", str(batch_sizes[1]), "--cpu"],
        capture_output=True,
        text=True,
        env=COMMAND_ENV,
    )
    assert one_process.returncode == 0, one_process.stderr[-3000:]
    expected = last_valid_metrics(one_process.stdout + one_process.stderr, "test")
    assert two_workers["loss"] == pytest.approx(expected["loss"], rel=1e-5)
    assert last_valid_metrics(log)["num_updates"] == 4
