"""fairseq-preprocess -> fairseq-train --user-dir -> fairseq-eval-lm, through the quickstart recipe."""

import os
import re
import subprocess
import sys

import pytest
import torch
from fairseq import checkpoint_utils, search
from fairseq.sequence_generator import SequenceGenerator

from plugin_helpers import REPO_ROOT, SHARED_DATA

TINY_RUN = {
    "TRAIN_LINES": "150",
    "EVAL_LINES": "120",
    "MAX_UPDATE": "40",
    "TOKENS_PER_SAMPLE": "64",
    "BATCH_SIZE": "8",
    "MODEL_FLAGS": "--decoder-embed-dim 32 --decoder-attention-heads 4",
}


@pytest.fixture(scope="module")
def quickstart_run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("quickstart")
    env = dict(os.environ, **TINY_RUN)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    result = subprocess.run(
        ["bash", os.path.join(REPO_ROOT, "recipes", "quickstart.sh"), SHARED_DATA, str(out_dir)],
        capture_output=True, text=True, env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out_dir, result.stdout


def test_quickstart_prints_a_test_perplexity(quickstart_run):
    _, stdout = quickstart_run
    perplexity = float(re.search(r"^test perplexity: ([0-9.]+)$", stdout, re.M).group(1))
    assert 1 < perplexity < 5000


def test_training_lowered_the_loss(quickstart_run):
    out_dir, _ = quickstart_run
    log = (out_dir / "train.log").read_text()
    epoch_losses = [float(x) for x in re.findall(r"\| INFO \| train \| epoch \d+ \| loss ([0-9.]+)", log)]
    assert len(epoch_losses) >= 2, log[-2000:]
    assert epoch_losses[-1] < epoch_losses[0] - 0.5


def test_sampling_from_the_trained_checkpoint(quickstart_run):
    out_dir, _ = quickstart_run
    models, _, task = checkpoint_utils.load_model_ensemble_and_task(
        [str(out_dir / "checkpoints" / "checkpoint_best.pt")],
        arg_overrides={"data": str(out_dir / "data-bin")},
    )
    dictionary = task.target_dictionary
    generator = SequenceGenerator(models, dictionary, beam_size=1, max_len_b=12,
                                  search_strategy=search.Sampling(dictionary, sampling_topk=10))
    prefix = torch.tensor([[dictionary.index("The"), dictionary.index("game")]])
    sample = {"net_input": {"src_tokens": prefix, "src_lengths": torch.tensor([2])}}
    tokens = generator.generate(models, sample, prefix_tokens=prefix)[0][0]["tokens"]
    assert tokens[:2].tolist() == prefix[0].tolist()
    assert len(tokens) > 2 and (tokens[2:] != dictionary.unk()).any()
