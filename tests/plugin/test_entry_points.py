"""Every fairseq command a user of the plugin runs, as a subprocess on tiny data, under the installed NumPy.

fairseq 0.12 uses NumPy aliases that NumPy 2 removed (``fwp_plugin.numpy_compat``
gives them back); ``fairseq-eval-lm`` used to print "Perplexity: 1.00" over
0 tokens when the segments were longer than the model accepts
(``fwp_plugin.eval_lm_guard``). fairseq-preprocess runs once; two tiny
checkpoints are trained once, one with sinusoidal positions
(``--sample-break-mode none``, 64 positions) and one without
(``--sample-break-mode eos``, no position limit); then every other command is
started at once, two at a time (``commands``), and each test checks one
command's output.
"""

import importlib.util
import math
import os
import pathlib
import re
import subprocess
import types
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy
import pytest
from fairseq.data import FairseqDataset

from fwp_plugin.eval_lm_guard import eval_lm_size_problem
from fwp_plugin.numpy_compat import install_numpy_aliases
from plugin_helpers import COMMAND_ENV, PLUGIN_DIR, SHARED_DATA

PARALLEL = 2
PLUGIN = ("--user-dir", PLUGIN_DIR)
CPU = ("--cpu", "--num-workers", "0")
POSITIONS = 64
TRAIN = ("fairseq-train", *PLUGIN, *CPU, "--task", "language_modeling", "--arch", "fwp_delta_net_tiny",
         "--decoder-layers", "1", "--decoder-embed-dim", "16", "--decoder-attention-heads", "2",
         "--decoder-ffn-embed-dim", "32", "--tokens-per-sample", str(POSITIONS), "--batch-size", "4",
         "--optimizer", "adam", "--lr", "1e-3", "--max-update", "1", "--seed", "1",
         "--log-format", "simple", "--disable-validation", "--no-epoch-checkpoints")
NO_POSITIONS = "--no-token-positional-embeddings"
SAMPLING = ("--sampling", "--sampling-topk", "10", "--beam", "1", "--seed", "1")
BEAM = ("--beam", "3")
PROMPT = "the history of the"


def run(*command, stdin=None):
    """(exit code, stdout + stderr) of a command."""
    result = subprocess.run(command, input=stdin, capture_output=True, text=True, env=COMMAND_ENV)
    return result.returncode, result.stdout + result.stderr


def succeeded(result):
    code, output = result
    assert code == 0, output[-3000:]
    return output


@pytest.fixture(scope="module")
def data_bin(tmp_path_factory):
    """fairseq-preprocess --only-source, without the plugin: (directory, tokens in the test split)."""
    root = tmp_path_factory.mktemp("entry_points")
    with open(os.path.join(SHARED_DATA, "wiki.valid.tokens")) as text:
        lines = text.readlines()
    for split, (start, stop) in {"train": (0, 150), "valid": (150, 190), "test": (190, 250)}.items():
        # The test lines are fairseq-generate's prompts: no blank ones (an empty prompt is a lone
        # </s>, on which fairseq's beam search with --prefix-size never finishes).
        kept = [line for line in lines[start:stop] if split != "test" or line.strip()]
        (root / f"{split}.txt").write_text("".join(kept))
    log = succeeded(run("fairseq-preprocess", "--only-source", "--trainpref", str(root / "train.txt"),
                        "--validpref", str(root / "valid.txt"), "--testpref", str(root / "test.txt"),
                        "--destdir", str(root / "data-bin"), "--workers", "1"))
    test_tokens = int(re.search(r"test\.txt: \d+ sents, (\d+) tokens", log).group(1))
    return root / "data-bin", test_tokens


@pytest.fixture(scope="module")
def checkpoints(data_bin):
    """{"positions": sinusoidal positions, trained on --sample-break-mode none segments of 64 tokens;
    "no_positions": trained on --sample-break-mode eos (one line per sample, some longer than
    --tokens-per-sample: nothing limits its inputs' length)}."""
    directory, _ = data_bin
    trainings = {
        "positions": ("--sample-break-mode", "none"),
        "no_positions": ("--sample-break-mode", "eos", NO_POSITIONS),
    }
    with ThreadPoolExecutor(PARALLEL) as pool:
        logs = {name: pool.submit(run, *TRAIN, str(directory), *flags, "--save-dir", str(directory.parent / name))
                for name, flags in trainings.items()}
    for name, log in logs.items():
        assert_trained(succeeded(log.result()))
    return {name: str(directory.parent / name / "checkpoint_last.pt") for name in trainings}


@pytest.fixture(scope="module")
def commands(data_bin, checkpoints):
    """{name: future of (exit code, output)} of every other command, started together."""
    data = str(data_bin[0])
    positions = ("--path", checkpoints["positions"])
    no_positions = ("--path", checkpoints["no_positions"])
    eval_lm = ("fairseq-eval-lm", data, *PLUGIN, *CPU, "--gen-subset", "test")
    generate = ("fairseq-generate", data, *PLUGIN, *CPU, "--task", "language_modeling", *no_positions,
                "--gen-subset", "test", "--sample-break-mode", "eos", "--prefix-size", "2",
                "--max-len-b", "8", "--batch-size", "16")
    interactive = ("fairseq-interactive", data, *PLUGIN, "--cpu", "--task", "language_modeling", *positions,
                   "--max-len-b", "8")
    commands = {
        "train_complete": (*TRAIN, data, "--sample-break-mode", "complete", NO_POSITIONS, "--no-save"),
        "train_complete_doc": (*TRAIN, data, "--sample-break-mode", "complete_doc", NO_POSITIONS, "--no-save"),
        "validate": ("fairseq-validate", data, *PLUGIN, *CPU, "--task", "language_modeling", *no_positions,
                     "--sample-break-mode", "eos", "--batch-size", "8"),
        "eval_lm_word_probs": (*eval_lm, *positions, "--sample-break-mode", "eos", "--tokens-per-sample",
                               str(POSITIONS), "--output-word-probs", "--batch-size", "8"),
        "eval_lm_4096_no_positions": (*eval_lm, *no_positions, "--tokens-per-sample", "4096", "--batch-size", "1"),
        "eval_lm_4096_positions": (*eval_lm, *positions, "--tokens-per-sample", "4096"),
        "generate_sampling": (*generate, *SAMPLING),
        "generate_beam": (*generate, *BEAM),
        "interactive_sampling": (*interactive, *SAMPLING),
        "interactive_beam": (*interactive, *BEAM),
    }
    with ThreadPoolExecutor(PARALLEL) as pool:
        yield {name: pool.submit(run, *command, stdin=PROMPT + "\n" if name.startswith("interactive") else None)
               for name, command in commands.items()}


def assert_trained(log):
    assert re.search(r"\| train \| epoch 001 \| loss [0-9.]+ .*\| num_updates 1 ", log), log[-2000:]


def perplexity(log):
    """(tokens evaluated, perplexity) from fairseq-eval-lm's last lines."""
    tokens = int(re.search(r"Evaluated ([0-9,]+) tokens", log).group(1).replace(",", ""))
    return tokens, float(re.search(r"Perplexity: ([0-9.]+)", log).group(1))


def test_every_numpy_name_fairseq_uses_exists():
    """Scans fairseq's installed library code (not examples/) for ``np.NAME`` and
    ``np.compat.NAME``: with the plugin imported, each one resolves."""
    root = pathlib.Path(importlib.util.find_spec("fairseq").origin).parent
    used = set()
    for path in root.rglob("*.py"):
        if "examples" not in path.relative_to(root).parts:
            used.update(re.findall(r"\b(?:np|numpy)\.(\w+)(?:\.(\w+))?", path.read_text(errors="ignore")))
    assert ("compat", "long") in used  # the scan sees the alias that broke fairseq-train
    missing = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, attribute in sorted(used):
            value = getattr(numpy, name, None)
            if value is None or (attribute and isinstance(value, types.ModuleType)
                                 and not hasattr(value, attribute)):
                missing.append(f"np.{name}" + (f".{attribute}" if attribute else ""))
    assert not missing


def test_numpy_aliases_fill_gaps_and_replace_nothing():
    assert install_numpy_aliases() == []  # the plugin has installed what this NumPy lacks
    bare = types.ModuleType("numpy")
    assert install_numpy_aliases(bare) == ["numpy.int", "numpy.float", "numpy.compat", "numpy.compat.long"]
    assert bare.int is int and bare.float is float and bare.compat.long is int
    own = types.ModuleType("numpy")
    own.int, own.float, own.compat = "numpy's int", "numpy's float", types.ModuleType("numpy.compat")
    own.compat.long = "numpy's long"
    assert install_numpy_aliases(own) == []
    assert (own.int, own.float, own.compat.long) == ("numpy's int", "numpy's float", "numpy's long")


@pytest.mark.parametrize("break_mode", ["none", "eos", "complete", "complete_doc"])
def test_train(checkpoints, commands, break_mode):
    """none and eos trained the two checkpoints (``checkpoints`` checked their logs)."""
    if break_mode in ("none", "eos"):
        assert os.path.isfile(checkpoints["positions" if break_mode == "none" else "no_positions"])
    else:
        assert_trained(succeeded(commands[f"train_{break_mode}"].result()))


def test_validate(commands):
    log = succeeded(commands["validate"].result())
    loss = float(re.search(r"valid on 'valid' subset \| loss ([0-9.]+)", log).group(1))
    assert 0 < loss < 20


def test_eval_lm_with_word_probabilities(commands):
    log = succeeded(commands["eval_lm_word_probs"].result())
    tokens, ppl = perplexity(log)
    assert tokens > 0 and 1 < ppl < 1e6 and math.isfinite(ppl)
    assert re.search(r"eval_lm:\d+ \S+ \[-[0-9.]+\]\t\S+ \[-[0-9.]+\]", log)  # "<id> <word> [<log p>]\t..."


def test_eval_lm_without_positions_takes_any_segment_length(data_bin, commands):
    """Trained with --tokens-per-sample 64, evaluated on segments of 4096: every token of the split is scored."""
    log = succeeded(commands["eval_lm_4096_no_positions"].result())
    tokens, ppl = perplexity(log)
    assert tokens == data_bin[1] and 1 < ppl < 1e6
    assert "invalid sizes" not in log


def test_eval_lm_refuses_segments_longer_than_the_positions(commands):
    """It used to skip every segment and print "Perplexity: 1.00" over 0 tokens."""
    code, log = commands["eval_lm_4096_positions"].result()
    assert code != 0
    assert f"--tokens-per-sample 4096 is longer than the {POSITIONS} positions the model accepts" in log
    assert f"pass --tokens-per-sample {POSITIONS} or less" in log
    assert "Perplexity" not in log and "Evaluated" not in log


def words(text):
    return text.replace("<<unk>>", "<unk>").split()  # fairseq-generate escapes <unk> in targets only


@pytest.mark.parametrize("search", ["sampling", "beam"])
def test_generate_continues_each_line(commands, search):
    """--sample-break-mode eos: each test line is a prompt; --prefix-size 2 keeps its first two words."""
    log = succeeded(commands[f"generate_{search}"].result())
    sentences = int(re.search(r"Translated ([0-9,]+) sentences", log).group(1).replace(",", ""))
    targets = dict(re.findall(r"^T-(\d+)\t(.*)$", log, re.M))
    hypotheses = dict(re.findall(r"^H-(\d+)\t\S+\t(.*)$", log, re.M))
    assert sentences == len(hypotheses) == len(targets) > 0
    continued = [i for i, target in targets.items() if len(words(target)) > 2]
    assert continued
    for i in continued:
        assert words(hypotheses[i])[:2] == words(targets[i])[:2] and len(words(hypotheses[i])) > 2


@pytest.mark.parametrize("search", ["sampling", "beam"])
def test_interactive_continues_the_prompt(commands, search):
    log = succeeded(commands[f"interactive_{search}"].result())
    hypothesis = re.search(r"^H-0\t(\S+)\t(.*)$", log, re.M)
    assert hypothesis, log[-2000:]
    assert math.isfinite(float(hypothesis.group(1)))
    assert hypothesis.group(2).startswith(PROMPT + " ") and len(hypothesis.group(2).split()) > 4


class Lines(FairseqDataset):
    """A dataset that is only its samples' sizes."""

    def __init__(self, *sizes):
        self.sizes = numpy.array(sizes, dtype=numpy.int64)

    def __len__(self):
        return len(self.sizes)


@pytest.mark.parametrize("sizes, break_mode, tokens_per_sample, context_window, problem", [
    ((64, 64, 10), "none", 64, 0, ""),
    ((32, 32, 10), "none", 32, 32, ""),  # segments of 32 scored with 32 tokens of context: 64 positions
    ((32, 32, 10), "none", 33, 32, "--tokens-per-sample 65 (with --context-window 32) is longer than the 64"),
    ((100, 20, 70), "eos", 1024, 0, ""),  # lines longer than the model are skipped with fairseq's warning
    ((100, 70), "eos", 1024, 0, "pass --sample-break-mode none --tokens-per-sample 64"),
    ((), "none", 64, 0, "holds no tokens"),
])
def test_eval_lm_size_problem(sizes, break_mode, tokens_per_sample, context_window, problem):
    found = eval_lm_size_problem(Lines(*sizes), 64, tokens_per_sample, context_window, break_mode)
    assert problem in found and bool(found) == bool(problem)
