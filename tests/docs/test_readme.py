"""The READMEs' runnable parts, read from the READMEs themselves (no copies): an edit that breaks a
command or a snippet of README.md or recipes/wikitext103/README.md fails here.

- Python snippets run as written. The names they use without defining them (the ops' inputs) are
  small tensors drawn as the layers produce them (``make_example_inputs``), and every
  ``# name: [shape]`` comment is checked.
- Shell commands run as written from a scratch repository root: the plugin and the recipes linked
  in, ``data-bin/wikitext-103`` a tiny binarized stream over WikiText-103's 267,735 types and
  ``data/code5`` a tiny code-execution data set. Only run lengths are shortened (SHORT_RUNS) and
  the generators write under ``generated/``. A block that trains starts from a fresh root; the
  blocks after it (evaluations of its checkpoint) run in the same one.
- Commands that need hours, GPUs, downloads or data this machine lacks are in NOT_RUN, with the
  reason and where they are tested instead. A command in neither list fails the test.
"""

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import torch

from benchmarks.fairseq_throughput import WIKITEXT103_TYPES, write_synthetic_data
from command_env import COMMAND_ENV
from fwp_kernels.interface import make_example_inputs
from fwp_kernels.ops import OPS

REPO_ROOT = Path(__file__).resolve().parents[2]

READMES = ("README.md", "recipes/wikitext103/README.md")

# Commands not run here (a prefix of the command line): why, and where they are tested instead.
NOT_RUN = {
    "make quickstart": "minutes of training; tests/plugin/test_end_to_end.py runs its steps",
    "make test": "the test suite itself",
    "python3 -m venv": "installation: .ci/run installs with these commands (Makefile)",
    "pip install": "installation: .ci/run installs with these commands (Makefile)",
    "python -m fwp_plugin.data.published_datasets": "needs the authors' dumped files (DUMP); "
    "tests/data tests the conversion on files written like theirs",
    "fairseq-hydra-train --config-dir recipes/hydra --config-name wt103_small": "a GPU config (fp16); "
    "tests/recipes/test_hydra_configs.py trains its tiny twin and checks every config against the recipes",
    "bash recipes/code_execution/run.sh": "the paper's setting, hours; tests/recipes runs it at tiny sizes",
    "bash recipes/listops/run.sh": "the paper's setting, hours; tests/recipes runs it at tiny sizes",
    "bash recipes/code_execution/small.sh": "an hour; tests/recipes runs it at tiny sizes",
    "bash recipes/listops/small.sh": "an hour; tests/recipes runs it at tiny sizes",
    "bash recipes/code_execution/claims.sh": "hours; tests/recipes runs its levels script at tiny sizes",
    "bash recipes/listops/claims.sh": "hours; tests/recipes runs its levels script at tiny sizes",
    "bash recipes/rl/memory.sh": "hours; tests/recipes/test_rl_recipes.py runs it at tiny sizes",
    "bash recipes/rl/atari_smoke.sh": "needs the Atari ROMs; tests/recipes/test_rl_recipes.py",
    "bash recipes/rl/atari.sh": "days, and the Atari ROMs; tests/recipes/test_rl_recipes.py",
    "bash recipes/wikitext103/prepare.sh": "needs the WikiText-103 download; tests/recipes runs it on a slice",
    "bash recipes/wikitext103/train.sh": "4 GPUs; tests/recipes/test_wikitext103_recipes.py runs it on CPU",
    "bash recipes/wikitext103/eval.sh": "reads the runs above; tests/recipes runs it on tiny runs",
    "python recipes/wikitext103/collect.py": "reads the runs above; tests/recipes runs it on tiny runs",
    "bash recipes/wikitext103/mini.sh": "hours; tests/recipes runs it at tiny sizes",
    "python recipes/wikitext103/length_table.py": "reads mini.sh's runs; tests/recipes runs it on tiny runs",
    "python recipes/wikitext103/carried_state_stats.py": "reads mini.sh's runs; tests/recipes runs it on tiny runs",
}
# Run lengths shortened (option: value).
SHORT_RUNS = {"--max-update": "1", "--max-epoch": "1", "--total-steps": "640", "--episodes": "2"}
TRAINING = ("fairseq-train", "python -m fwp_plugin.rl.train")
# Tokens in each split of the tiny WikiText-103 stand-in. Training and validation: 10 segments of 256, as fairseq's
# language_modeling task validates nothing with fewer than 8 (its --required-batch-size-multiple); the test split
# is small, as the sliding-window evaluation runs a segment of 256 tokens for every token it scores.
STAND_IN_SPLITS = {"train": 2600, "valid": 2600, "test": 300}


def code_blocks(readme: str) -> List[Tuple[int, str]]:
    """(line, text) of every indented code block of the README (4 spaces, after a blank line)."""
    blocks, lines = [], (REPO_ROOT / readme).read_text().split("\n")
    start, block = None, []
    for number, line in enumerate(lines + [""], 1):
        if line.startswith("    ") and (block or not lines[number - 2].strip()):
            start = start or number
            block.append(line[4:])
        elif block and line.strip() == "" and number < len(lines) and lines[number].startswith("    "):
            block.append("")
        elif block:
            blocks.append((start, "\n".join(block).strip("\n")))
            start, block = None, []
    return blocks


def is_python(block: str) -> bool:
    return block.startswith(("import ", "from "))


def shell_commands(block: str) -> List[str]:
    """The block's command lines, continuation lines joined, comments and blank lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [line.strip() for line in joined.split("\n") if line.strip() and not line.strip().startswith("#")]


def not_run_reason(command: str) -> str:
    return next((reason for prefix, reason in NOT_RUN.items() if command.startswith(prefix)), "")


def as_run(command: str, root: Path) -> List[str]:
    """The command's arguments as this test runs them (see the module docstring)."""
    arguments = [argument.replace("$PWD", str(root)) for argument in shlex.split(command, comments=True)]
    for index, argument in enumerate(arguments[:-1]):
        if argument in SHORT_RUNS:
            arguments[index + 1] = SHORT_RUNS[argument]
        if argument == "--out" and command.startswith("python -m fwp_plugin.data."):
            arguments[index + 1] = str(Path("generated") / Path(arguments[index + 1]).name)
    if arguments[0] == "python":
        arguments[0] = sys.executable
    return arguments


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory) -> Dict[str, Path]:
    """The data the commands name, tiny: {path relative to the root: where it is}."""
    made = tmp_path_factory.mktemp("stand_ins")
    wikitext103 = made / "wikitext-103"
    wikitext103.mkdir()
    write_synthetic_data(str(wikitext103), WIKITEXT103_TYPES, STAND_IN_SPLITS)
    code5 = made / "code5"
    generated = subprocess.run(
        [
            sys.executable,
            "-m",
            "fwp_plugin.data.code_execution",
            "--num-vars",
            "5",
            "--num-statements",
            "10",
            "--train-size",
            "16",
            "--valid-size",
            "8",
            "--test-size",
            "8",
            "--out",
            str(code5),
        ],
        capture_output=True,
        text=True,
        env=COMMAND_ENV,
    )
    assert generated.returncode == 0, generated.stderr[-3000:]
    return {"data-bin/wikitext-103": wikitext103, "data/code5": code5}


def new_root(parent: Path, stand_ins: Dict[str, Path]) -> Path:
    """A scratch repository root: the plugin and the recipes linked in, the stand-in data in place."""
    root = parent / f"root{len(list(parent.glob('root*')))}"
    root.mkdir()
    for name in ("fwp_plugin", "recipes"):
        (root / name).symlink_to(REPO_ROOT / name)
    for relative, made in stand_ins.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).symlink_to(made)
    return root


@pytest.mark.parametrize("readme", READMES)
def test_every_shell_command_runs_or_says_why_not(readme, stand_ins, tmp_path):
    root, unclassified = None, []
    for line, block in code_blocks(readme):
        if is_python(block):
            continue
        commands = [command for command in shell_commands(block) if not not_run_reason(command)]
        if root is None or any(command.startswith(TRAINING) for command in commands):
            root = new_root(tmp_path, stand_ins)
        for command in commands:
            if not command.startswith(("fairseq-", "python -m fwp_plugin.")):
                unclassified.append(f"{readme}:{line}: {command}")
                continue
            result = subprocess.run(
                as_run(command, root), cwd=root, capture_output=True, text=True, env=COMMAND_ENV, timeout=900
            )
            assert result.returncode == 0, f"{readme}:{line}: {command}\n{result.stdout[-2000:]}{result.stderr[-3000:]}"
    assert not unclassified, "commands neither run here nor in NOT_RUN:\n" + "\n".join(unclassified)


def python_snippets() -> list:
    return [
        pytest.param(readme, line, block, id=f"{readme}:{line}")
        for readme in READMES
        for line, block in code_blocks(readme)
        if is_python(block)
    ]


def example_inputs_of(statement: str) -> dict:
    """The inputs of the op a statement calls (``out, state = op(...)``), small and in float64."""
    called = re.search(r"=\s*(\w+)\(", statement)
    if called is None or called.group(1) not in OPS:
        return {}
    return make_example_inputs(OPS[called.group(1)], batch=1, seq_len=5, heads=2, dim=8, dtype=torch.float64)


@pytest.mark.parametrize("readme, line, snippet", python_snippets())
def test_every_python_snippet_runs_as_written(readme, line, snippet):
    namespace: dict = {}
    for statement in snippet.split("\n"):
        exec(statement, {**example_inputs_of(statement), **namespace}, namespace)
        shape = re.search(r"#\s*(\w+): \[([\d, ]+)\]", statement)
        if shape:
            expected = [int(size) for size in shape.group(2).split(",")]
            assert list(namespace[shape.group(1)].shape) == expected, f"{readme}:{line}: {statement}"
    assert namespace, f"{readme}:{line}: the snippet defined nothing"
