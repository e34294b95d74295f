"""Issue 14 for the data generators: bounded sample size, any tree depth, clear --out errors, whole-or-nothing output.

Every test takes well under a second except the subprocess ones (a few seconds).
"""

import errno
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from fwp_plugin.data import code_execution, dataset_files, listops

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = ["--train-size", "50", "--valid-size", "10", "--test-size", "10"]
GENERATORS = {"listops": listops, "code_execution": code_execution}
FILE_COUNTS = {"listops": 8, "code_execution": 9}  # splits, dictionaries and generation.txt


def run_cli(generator, out_dir, *options):
    GENERATORS[generator].main([*TINY, "--out", str(out_dir), *options])


def fails_with(capsys, generator, out_dir, *options):
    """Run the generator, expect a usage error; return its stderr."""
    with pytest.raises(SystemExit) as exit_info:
        run_cli(generator, out_dir, *options)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def partial_dirs(directory):
    return [name for name in os.listdir(directory) if dataset_files.PARTIAL in name]


# --- the size of a sample ----------------------------------------------------


@pytest.mark.parametrize(
    "options, message",
    [
        # the command: full 5-ary trees of depth 12, about 300 million tokens each
        (["--depth", "12", "--value-prob", "0", "--min-args", "5", "--max-args", "5", "--sampler", "capped"],
         "no tree fits in --max-sample-tokens 10000: with --value-prob 0 every tree of depth 12 is a full tree"),
        (["--depth", "1000", "--min-args", "1", "--max-args", "1", "--value-prob", "0",
          "--max-sample-tokens", "2000", "--sampler", "capped"],
         "no tree fits in --max-sample-tokens 2000: "
         "the shortest tree of depth 1000 with --min-args 1 has 2001 tokens"),
        (["--depth", "10", "--max-sample-tokens", "0"],
         "the shortest tree of depth 10 with --min-args 2 has 31 tokens"),
        # most trees are far longer than 200 tokens: fails after 1000 of them, not after 100000 attempts
        (["--depth", "12", "--value-prob", "0.1", "--max-sample-tokens", "200"],
         "1000 trees were longer than --max-sample-tokens 200, and none fitted"),
    ],
)
def test_listops_sample_size_bound_fails_fast_naming_the_options(tmp_path, capsys, options, message):
    start = time.monotonic()
    err = fails_with(capsys, "listops", tmp_path / "out", *options)
    assert message in err and "raise --max-sample-tokens" in err
    assert time.monotonic() - start < 10  # well under a second here
    assert os.listdir(tmp_path) == []  # no --out, no partial directory


def test_listops_fewest_tokens():
    assert listops.fewest_tokens(3, 2, 0.0, 10**6) == 7 * 2 + 8  # full binary tree: 7 operators, 8 values
    assert listops.fewest_tokens(3, 2, 0.5, 10**6) == 3 * 3 + 1  # chain [OP v [OP v [OP v v ] ] ]
    assert listops.fewest_tokens(1000, 1, 0.0, 10**6) == 2001
    assert listops.fewest_tokens(10**9, 5, 0.0, 10000) == 10001  # capped, computed at once
    line = " ".join(listops.to_tokens(listops.sample_tree(random.Random(0), 3, min_args=2, max_args=2, value_prob=0.5,
                                                          max_tokens=10)))
    assert len(line.split()) == 10


def test_listops_bound_rejects_longer_trees_and_counts_them(tmp_path, capsys):
    rng, rejected = random.Random(0), Counter()
    for _ in range(200):
        tokens = listops.to_tokens(listops.sample_tree(rng, 6, value_prob=0.6, max_tokens=60, rejected=rejected))
        assert len(tokens) <= 60 and listops.deepest_value_level(tokens) == 7
    assert rejected["too long"] > 0 and rejected["kept"] == 200
    run_cli("listops", tmp_path / "out", "--depth", "6", "--value-prob", "0.6", "--max-sample-tokens", "60")
    assert max(len(line.split()) for line in (tmp_path / "out" / "train.src").read_text().splitlines()) <= 60
    assert "longer than --max-sample-tokens 60" in capsys.readouterr().out


def test_code_execution_sample_size_bound(tmp_path, capsys):
    err = fails_with(capsys, "code_execution", tmp_path / "out", "--num-statements", "2000")
    assert "--num-statements 2000 gives programs of up to 17989 tokens" in err and "raise --max-sample-tokens" in err
    assert os.listdir(tmp_path) == []
    # the bound is the longest possible program: an assignment, conditional assignments, a print
    assert code_execution.longest_program(100) == 889
    run_cli("code_execution", tmp_path / "ok", "--num-statements", "12", "--max-sample-tokens", "97")
    assert "--num-statements 12 gives programs of up to 97" in fails_with(
        capsys, "code_execution", tmp_path / "no", "--num-statements", "12", "--max-sample-tokens", "96")


# --- deep trees: no recursion limit ------------------------------------------


def iterative_reference(tokens):
    """(value, depth) of a token list with an explicit stack (MIN MAX FIRST only)."""
    functions = {"[MIN": min, "[MAX": max, "[FIRST": lambda args: args[0]}
    stack, deepest = [], 0
    for token in tokens:
        if token in functions:
            stack.append((functions[token], []))
        elif token == "]":
            function, args = stack.pop()
            value = function(args)
            if not stack:
                return value, deepest - 1
            stack[-1][1].append(value)
        else:
            stack[-1][1].append(int(token))
            deepest = max(deepest, len(stack) + 1)
    raise AssertionError("unbalanced")


@pytest.mark.parametrize("depth, max_tokens", [(1000, listops.DEFAULT_MAX_SAMPLE_TOKENS), (5000, 10001)])
def test_deep_narrow_trees_need_no_recursion(depth, max_tokens):
    assert depth > sys.getrecursionlimit() // 2  # the recursive generator needed two frames per level
    tree = listops.sample_tree(random.Random(0), depth, min_args=1, max_args=1, value_prob=0.0, max_tokens=max_tokens,
                               sampler="capped")
    tokens = listops.to_tokens(tree)
    assert len(tokens) == 2 * depth + 1
    assert listops.deepest_value_level(tokens) == depth + 1
    assert (listops.evaluate(tree), depth) == iterative_reference(tokens)


def test_deep_narrow_trees_from_the_command_line(tmp_path, capsys):
    run_cli("listops", tmp_path / "out", "--depth", "1000", "--min-args", "1", "--max-args", "1", "--value-prob", "0",
            "--sampler", "capped")
    assert "depth check: ok, every tree has depth 1000" in capsys.readouterr().out
    sources = (tmp_path / "out" / "train.src").read_text().splitlines()
    labels = (tmp_path / "out" / "train.label").read_text().splitlines()
    for source, label in zip(sources, labels):
        assert iterative_reference(source.split()) == (int(label), 1000)


# --- same seed, same data as before ------------------------------------------


def recursive_grow_node(rng, level, last_level, operators, min_args, max_args, value_prob):
    """The published generator's tree growth (nyu_listops.generate_tree), recursive, as the reference
    for the random draws and their order: u for every node above ``last_level``, then a digit, or the
    number of arguments, the arguments and the name last."""
    if level == last_level or (rng.random() > 1.0 - value_prob and level > 1):
        return rng.choice(listops.VALUES), level
    children, deepest = [], level
    for _ in range(rng.randint(min_args, max_args)):
        child, child_deepest = recursive_grow_node(rng, level + 1, last_level, operators, min_args, max_args,
                                                   value_prob)
        children.append(child)
        deepest = max(deepest, child_deepest)
    return (rng.choice(operators), tuple(children)), deepest


@pytest.mark.parametrize("seed", range(5))
def test_iterative_growth_draws_like_the_recursive_one(seed):
    settings = random.Random(100 + seed)
    for _ in range(40):
        last_level = settings.randint(2, 9)
        operators = tuple(settings.sample(sorted(listops.OPERATORS), settings.randint(1, 6)))
        min_args = settings.randint(1, 4)
        args = (last_level, operators, min_args, settings.randint(min_args, 5),
                settings.choice([0.0, 0.3, 0.6, 0.75, 1.0]))
        old, new = random.Random(seed), random.Random(seed)
        assert listops.grow_tree(new, *args, max_tokens=10**9) == recursive_grow_node(old, 1, *args)
        assert new.getstate() == old.getstate()  # the same random numbers were used up


# sha256 of the split and dictionary files as the generators wrote them before the size bound, the
# iterative trees and the whole-or-nothing output were added (TINY split sizes); ListOps's since
# 2026-11-30, when its default sampler became the published one, drawing in the published order
PINNED = [
    ("listops", ["--depth", "4", "--operators", "MIN", "MAX", "FIRST", "MED", "SM", "LAST", "--seed", "7"],
     "89de3e543726f0f2ee35a05822fff4b4df52f384e815eb25029d472461b62ed7"),
    ("listops", ["--depth", "15", "--seed", "1"], "915eb566fef92104b2af6bb878d6a39c93f40bf536d06507826c88a95c721a0c"),
    ("listops", ["--depth", "6", "--min-args", "1", "--max-args", "3", "--value-prob", "0.3", "--seed", "2",
                 "--sampler", "capped"], "0b454eb19ada7cb7a4c61205186784e47f29fe4dbc3d6177be8b95cda51f13bf"),
    ("code_execution", ["--num-vars", "5", "--num-statements", "30", "--seed", "7"],
     "979cb19f41faeeef9f80f8c59b68462d57cf8a0054be92e7e5c24b98641c41f3"),
    ("code_execution", ["--num-vars", "3", "--semantics", "published", "--seed", "1"],
     "ac4011fe3692005b7040303009ada9dbacafae9a5a6061a2d3fe9113214d7cda"),
]


@pytest.mark.parametrize("generator, options, digest", PINNED)
def test_data_for_a_seed_is_unchanged(tmp_path, generator, options, digest):
    run_cli(generator, tmp_path / "out", *options)
    columns = ("src", "label") if generator == "listops" else ("src", "tgt")
    dictionaries = ["dict.src.txt"] + (["dict.tgt.txt"] if generator == "code_execution" else [])
    sha = hashlib.sha256()
    for name in dataset_files.split_file_names(columns) + dictionaries:
        sha.update((tmp_path / "out" / name).read_bytes())
    assert sha.hexdigest() == digest


# --- --out that cannot be written --------------------------------------------


@pytest.mark.parametrize("generator", GENERATORS)
def test_out_is_a_file(tmp_path, capsys, generator):
    (tmp_path / "data").write_text("mine\n")
    err = fails_with(capsys, generator, tmp_path / "data")
    assert f"--out {tmp_path / 'data'} is a file, not a directory" in err and "move" in err
    err = fails_with(capsys, generator, tmp_path / "data" / "sub")
    assert f"cannot create {tmp_path / 'data'} to hold --out" in err and "is a file, not a directory" in err
    assert (tmp_path / "data").read_text() == "mine\n" and os.listdir(tmp_path) == ["data"]


def make_read_only(path):
    """Make directory ``path`` read-only for this process; returns an undo function, or None if impossible.

    chmod does not stop root, so root makes it immutable (chattr +i) where the file system allows.
    """
    if os.geteuid() != 0:
        os.chmod(path, 0o555)
        return lambda: os.chmod(path, 0o755)
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode != 0:
        return None
    undo = lambda: subprocess.run([chattr, "-i", str(path)], check=True)  # noqa: E731
    try:
        os.mkdir(path / "probe")
    except PermissionError:
        return undo
    os.rmdir(path / "probe")
    undo()
    return None


@pytest.mark.parametrize("generator", GENERATORS)
@pytest.mark.parametrize("existing_out", [False, True], ids=["out_missing", "out_exists"])
def test_out_in_a_read_only_directory(tmp_path, capsys, generator, existing_out):
    locked = tmp_path / "locked"
    locked.mkdir()
    out = locked if existing_out else locked / "data"
    undo = make_read_only(locked)
    if undo is None:
        pytest.skip("cannot make a directory read-only here (root without chattr +i); see the simulated test")
    try:
        err = fails_with(capsys, generator, out)
    finally:
        undo()
    assert f"cannot write --out {out}: cannot create a directory in {locked}" in err
    assert f"make {locked} writable, or choose an --out in a writable directory" in err
    assert os.listdir(locked) == []


@pytest.mark.parametrize("generator", GENERATORS)
def test_out_in_a_read_only_directory_simulated(tmp_path, capsys, monkeypatch, generator):
    """The same through a mkdir that fails as it does in a read-only directory, for root too."""
    def refuse(path, mode=0o777):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)

    monkeypatch.setattr(os, "mkdir", refuse)
    err = fails_with(capsys, generator, tmp_path / "data")
    assert f"cannot write --out {tmp_path / 'data'}: cannot create a directory in {tmp_path} (Permission denied)" in err
    assert f"make {tmp_path} writable" in err
    assert os.listdir(tmp_path) == []


# --- whole or nothing ----------------------------------------------------------


@pytest.mark.parametrize("generator", GENERATORS)
def test_a_failed_final_write_keeps_nothing_and_a_rerun_succeeds(tmp_path, capsys, monkeypatch, generator):
    def disk_full(out_dir, module, args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.path.join(out_dir, "generation.txt"))

    with monkeypatch.context() as patch:
        patch.setattr(dataset_files, "write_generation_settings", disk_full)
        err = fails_with(capsys, generator, tmp_path / "data")
    assert f"cannot write the data set to {tmp_path / 'data'} (nothing was kept) (No space left on device)" in err
    assert os.listdir(tmp_path) == []
    run_cli(generator, tmp_path / "data")
    assert "generation.txt" in os.listdir(tmp_path / "data") and os.listdir(tmp_path) == ["data"]


@pytest.mark.parametrize("generator", GENERATORS)
def test_an_existing_directory_gets_all_files_or_none(tmp_path, capsys, monkeypatch, generator):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "notes.txt").write_text("mine\n")
    moves = []

    def fail_on_third_move(source, destination):
        if len(moves) == 2:
            raise OSError(errno.EIO, os.strerror(errno.EIO), destination)
        moves.append(destination)
        os.rename(source, destination)

    with monkeypatch.context() as patch:
        patch.setattr(dataset_files, "move_without_overwriting", fail_on_third_move)
        err = fails_with(capsys, generator, tmp_path / "data")
    assert "Input/output error" in err
    assert os.listdir(tmp_path / "data") == ["notes.txt"]  # the two moved files were taken back
    run_cli(generator, tmp_path / "data")
    assert len(os.listdir(tmp_path / "data")) == 1 + FILE_COUNTS[generator]


@pytest.mark.parametrize("generator", GENERATORS)
def test_a_complete_data_set_is_never_overwritten(tmp_path, capsys, generator):
    run_cli(generator, tmp_path / "data", "--seed", "3")
    before = {path.name: path.read_bytes() for path in (tmp_path / "data").iterdir()}
    err = fails_with(capsys, generator, tmp_path / "data", "--seed", "4")
    assert "refusing to overwrite existing file(s)" in err
    assert {path.name: path.read_bytes() for path in (tmp_path / "data").iterdir()} == before
    assert os.listdir(tmp_path) == ["data"]


def start_generator(out_dir):
    """A ListOps run at the paper's size (several seconds of drawing) writing to ``out_dir``. Ctrl-C
    works in it even when the tests run in a background job, whose children inherit SIGINT ignored
    (Python then installs no KeyboardInterrupt handler)."""
    return subprocess.Popen(
        [sys.executable, "-m", "fwp_plugin.data.listops", "--depth", "15", "--out", str(out_dir)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for_partial_dir(process, directory):
    deadline = time.monotonic() + 60
    while not partial_dirs(directory):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)


@pytest.mark.parametrize("signum, status, word", [(signal.SIGINT, 130, "interrupted (SIGINT)"),
                                                  (signal.SIGTERM, 143, "SIGTERM")])
def test_an_interrupted_run_keeps_nothing(tmp_path, signum, status, word):
    process = start_generator(tmp_path / "data")
    wait_for_partial_dir(process, tmp_path)
    time.sleep(0.2)  # into the drawing, which lasts seconds
    assert process.poll() is None
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == status, err
    assert word in err and "Traceback" not in err
    assert os.listdir(tmp_path) == []


def test_a_killed_run_leaves_a_partial_directory_that_the_rerun_removes(tmp_path, capsys):
    process = start_generator(tmp_path / "data")
    wait_for_partial_dir(process, tmp_path)
    process.kill()
    process.communicate(timeout=60)
    (stale,) = partial_dirs(tmp_path)
    assert stale.startswith("data.partial-") and not (tmp_path / "data").exists()
    foreign = tmp_path / "data.partial-otherhost-1-0123abcd"  # another machine's: left alone
    foreign.mkdir()
    run_cli("listops", tmp_path / "data")
    assert f"removed {tmp_path / stale}, left unfinished by an interrupted run" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["data", foreign.name]
    assert len(os.listdir(tmp_path / "data")) == FILE_COUNTS["listops"]
