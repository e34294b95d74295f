"""fairseq-train and fairseq-eval-lm with --task language_modeling_carried_state on a WikiText-2 slice."""

import math
import os
import re
import subprocess

import pytest
from fairseq.data import data_utils
from plugin_helpers import COMMAND_ENV, PLUGIN_DIR, REPO_ROOT, SHARED_DATA, run_workers

TASK = "language_modeling_carried_state"
ROWS, SEGMENT = 4, 32
TRAIN = ("--user-dir", PLUGIN_DIR, "--task", TASK, "--arch", "fwp_lm", "--decoder-layers", "2",
         "--decoder-embed-dim", "32", "--decoder-attention-heads", "4", "--decoder-ffn-embed-dim", "64",
         "--no-token-positional-embeddings", "--dropout", "0", "--tokens-per-sample", str(SEGMENT),
         "--optimizer", "adam", "--lr", "2e-3", "--seed", "1", "--log-format", "simple",
         "--no-epoch-checkpoints", "--ddp-backend", "legacy_ddp")


def run(*command, **env):
    """The command's output; it must succeed. ``env``: extra environment variables."""
    result = subprocess.run(command, capture_output=True, text=True, env=dict(COMMAND_ENV, **env))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def num_tokens(data_bin, split):
    lines = data_utils.load_indexed_dataset(str(data_bin / split))  # keep it: .sizes lives in its mmap
    return int(lines.sizes.sum())


def epoch_stats(log, subset, epoch):
    """{stat: value} of fairseq's end-of-epoch line for ``subset`` (train or valid)."""
    line = re.search(rf"\| {subset} \| epoch {epoch:03d} \| (.*)", log).group(1)
    return dict(re.findall(r"(\w+) ([0-9.]+)(?: \||$)", line))


def perplexity(log):
    return float(re.search(r"Perplexity: ([0-9.]+)", log).group(1))


@pytest.fixture(scope="module")
def data_bin(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("carried_state")
    run("bash", os.path.join(REPO_ROOT, "recipes", "prepare_data.sh"), SHARED_DATA, str(out_dir),
        TRAIN_LINES="200", EVAL_LINES="100")
    return out_dir / "data-bin"


@pytest.fixture(scope="module")
def trained(data_bin):
    """Two epochs with 4 rows in one process: (training log, checkpoint)."""
    save_dir = data_bin.parent / "checkpoints"
    log = run("fairseq-train", str(data_bin), *TRAIN, "--batch-size", str(ROWS), "--max-epoch", "2",
              "--save-dir", str(save_dir))
    return log, save_dir / "checkpoint_best.pt"


def test_training_walks_the_whole_split_every_epoch(trained, data_bin):
    log, _ = trained
    row_length = (num_tokens(data_bin, "train") - 1) // ROWS
    segments = math.ceil(row_length / SEGMENT)
    first, second = epoch_stats(log, "train", 1), epoch_stats(log, "train", 2)
    assert int(first["num_updates"]) == segments and int(second["num_updates"]) == 2 * segments
    assert float(second["loss"]) < float(first["loss"]) - 0.5
    assert float(epoch_stats(log, "valid", 2)["loss"]) < float(epoch_stats(log, "valid", 1)["loss"])


def test_two_data_parallel_cpu_workers_train_like_one_process_with_all_rows(trained, data_bin):
    """Two gloo workers with 2 rows each see the 4 rows of the one-process run: same losses."""
    logs = run_workers("train", [str(data_bin), *TRAIN, "--batch-size", str(ROWS // 2), "--max-epoch", "1",
                        "--save-dir", str(data_bin.parent / "checkpoints_ddp")])
    one_process, _ = trained
    for subset in ("train", "valid"):
        expected, got = epoch_stats(one_process, subset, 1), epoch_stats(logs[0], subset, 1)
        assert got["num_updates"] == expected["num_updates"]
        assert float(got["loss"]) == pytest.approx(float(expected["loss"]), abs=2e-3)


def test_eval_lm_carries_the_state_through_the_test_split(trained, data_bin):
    _, checkpoint = trained
    common = (str(data_bin), "--user-dir", PLUGIN_DIR, "--path", str(checkpoint), "--gen-subset", "test")
    logs = [run("fairseq-eval-lm", *common, "--task", TASK, "--batch-size", "1", "--tokens-per-sample", length)
            for length in ("32", "7")]
    for log in logs:  # every token but the first is scored
        assert f"Evaluated {num_tokens(data_bin, 'test') - 1:,} tokens" in log
    # The state is carried exactly, so the segment length does not change the result.
    assert 1 < perplexity(logs[0]) < 5000 and perplexity(logs[0]) == pytest.approx(perplexity(logs[1]), rel=1e-3)
    sliding = run("fairseq-eval-lm", *common, "--task", "language_modeling", "--tokens-per-sample", "32",
                  "--context-window", "16", "--batch-size", "4")
    assert 1 < perplexity(sliding) < 5000
