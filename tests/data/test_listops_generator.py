"""fwp_plugin.data.listops: labels checked by an independent evaluator, the published sampler's
acceptance rule, exact depth, files, statistics, CLI."""

import os
import random
import re
import statistics
from collections import Counter

import pytest

from fwp_plugin.data import dataset_files, listops

ALL_OPERATORS = ["MIN", "MAX", "FIRST", "MED", "SM", "LAST"]
REFERENCE_OPERATORS = {
    "[MIN": min,
    "[MAX": max,
    "[FIRST": lambda args: args[0],
    "[LAST": lambda args: args[-1],
    "[SM": lambda args: sum(args) % 10,
    "[MED": lambda args: int(statistics.median(args)),  # the original generator's int(np.median(args))
}


def reference_parse(tokens, position=0, level=1):
    """Independent evaluator of the subtree at ``position``.

    Returns (value, level of its deepest value, argument count of each operator, next position).
    """
    token = tokens[position]
    if token.isdigit():
        return int(token), level, [], position + 1
    assert token in REFERENCE_OPERATORS, token
    args, deepest, arg_counts = [], level, []
    position += 1
    while tokens[position] != "]":
        value, child_deepest, child_counts, position = reference_parse(tokens, position, level + 1)
        args.append(value)
        deepest = max(deepest, child_deepest)
        arg_counts += child_counts
    return REFERENCE_OPERATORS[token](args), deepest, arg_counts + [len(args)], position + 1


def reference_evaluate(line):
    """(value, depth, argument counts) of a source line; the whole line must be one tree."""
    tokens = line.split()
    value, deepest, arg_counts, end = reference_parse(tokens)
    assert end == len(tokens)
    return value, deepest - 1, arg_counts


def test_labels_match_independent_evaluator_with_all_operators():
    rng = random.Random(0)
    used = Counter()
    for _ in range(300):
        depth = rng.randint(1, 6)
        tree = listops.sample_tree(rng, depth, ALL_OPERATORS, min_args=1, max_args=5)
        tokens = listops.to_tokens(tree)
        value, measured_depth, arg_counts = reference_evaluate(" ".join(tokens))
        assert listops.evaluate(tree) == value
        assert measured_depth == depth
        assert tokens[0].startswith("[")  # the root is an operator
        assert 1 <= min(arg_counts) and max(arg_counts) <= 5
        used.update(token for token in tokens if token.startswith("["))
    assert set(used) == {"[" + name for name in ALL_OPERATORS}


@pytest.mark.parametrize(
    "tree, tokens, value",
    [
        (("MAX", (1, 9)), "[MAX 1 9 ]", 9),
        (("MIN", (3, ("MAX", (1, 9)), 0)), "[MIN 3 [MAX 1 9 ] 0 ]", 0),
        (("FIRST", (4, ("MAX", (1, 9)))), "[FIRST 4 [MAX 1 9 ] ]", 4),
        (("LAST", (4, 8, 2)), "[LAST 4 8 2 ]", 2),
        (("SM", (7, 8, 9)), "[SM 7 8 9 ]", 4),
        (("MED", (9, 1, 5)), "[MED 9 1 5 ]", 5),
        (("MED", (5, 2)), "[MED 5 2 ]", 3),  # even count: mean of the middle two, rounded down
        (("MED", (9, 1, 6, 4)), "[MED 9 1 6 4 ]", 5),
        (("MED", (3, 7)), "[MED 3 7 ]", 5),
    ],
)
def test_hand_written_trees(tree, tokens, value):
    assert " ".join(listops.to_tokens(tree)) == tokens
    assert listops.evaluate(tree) == value
    assert reference_evaluate(tokens)[0] == value


@pytest.mark.parametrize("sampler", listops.SAMPLERS)
@pytest.mark.parametrize("depth", [1, 2, 5, 10, 13, 19])
def test_exact_depth(depth, sampler):
    rng = random.Random(depth)
    for _ in range(20):
        line = " ".join(listops.to_tokens(listops.sample_tree(rng, depth, sampler=sampler)))
        assert reference_evaluate(line)[1] == depth
        assert listops.deepest_value_level(line.split()) == depth + 1


def free_tree(rng, level=1):
    """(tree, level of its deepest value) grown as the published generator grows it: below the root a value
    with probability 0.75 (u > 0.25), every node at level 20 a value, 2..5 arguments, the name drawn last."""
    if level == 20 or (rng.random() > 0.25 and level > 1):
        return rng.choice(range(10)), level
    children = [free_tree(rng, level + 1) for _ in range(rng.randint(2, 5))]
    return (rng.choice(["MIN", "MAX", "FIRST"]), tuple(tree for tree, _ in children)), max(d for _, d in children)


@pytest.mark.parametrize("depth", [2, 4])
def test_published_sampler_keeps_a_free_tree_of_the_depth_and_rejects_any_other(depth):
    """From the same random state, one draw keeps exactly the tree that grows freely when its deepest value
    is at level depth + 1; a deeper one is rejected, never cut (the capped sampler would keep it cut)."""
    outcomes = Counter()
    for seed in range(400):
        tree, deepest = free_tree(random.Random(seed))
        rejected = Counter()
        try:
            drawn = listops.sample_tree(random.Random(seed), depth, max_attempts=1, rejected=rejected)
        except dataset_files.GenerationError:
            drawn = None
        outcome = "kept" if deepest == depth + 1 else "too deep" if deepest > depth + 1 else "too shallow"
        assert rejected == {outcome: 1}
        assert drawn == (tree if outcome == "kept" else None)
        outcomes[outcome] += 1
    assert min(outcomes.values()) >= 10, outcomes  # every case is exercised


def test_the_capped_sampler_cuts_deeper_trees_and_keeps_them():
    rng, rejected = random.Random(0), Counter()
    for _ in range(300):
        listops.sample_tree(rng, 3, sampler="capped", rejected=rejected)
    assert rejected["too deep"] == 0 and rejected["too shallow"] > 0

    def mean_tokens(sampler):
        rng = random.Random(1)
        return statistics.fmean(len(listops.to_tokens(listops.sample_tree(rng, 6, sampler=sampler)))
                                for _ in range(400))
    # the cut trees are kept: longer trees than the published distribution (57 against 46 tokens here)
    assert mean_tokens("capped") > 1.15 * mean_tokens("published")


def test_published_depth_limit_and_value_prob_0():
    # level 20 holds values only: depth 19 is the deepest, reached with every node above it an operator
    tree = listops.sample_tree(random.Random(0), 19, min_args=1, max_args=1, value_prob=0.0)
    assert listops.deepest_value_level(listops.to_tokens(tree)) == 20
    with pytest.raises(dataset_files.GenerationError, match="--depth 20 is out of the published sampler's reach"):
        listops.sample_tree(random.Random(0), 20)
    with pytest.raises(dataset_files.GenerationError, match="depth 5 is unreachable with --value-prob 0"):
        listops.sample_tree(random.Random(0), 5, value_prob=0.0)


def test_depth_1_is_a_flat_list():
    rng = random.Random(0)
    for _ in range(20):
        tokens = listops.to_tokens(listops.sample_tree(rng, 1))
        assert tokens[0] in {"[MIN", "[MAX", "[FIRST"} and tokens[-1] == "]"
        assert all(token.isdigit() for token in tokens[1:-1]) and 2 <= len(tokens) - 2 <= 5


def test_nodes_at_the_depth_cap_are_values():
    # no values above the cap: every operator has exactly 2 arguments, all the way down
    tree = listops.sample_tree(random.Random(0), 3, min_args=2, max_args=2, value_prob=0.0, sampler="capped")
    tokens = listops.to_tokens(tree)
    assert sum(token.isdigit() for token in tokens) == 8 and len(tokens) == 7 * 2 + 8


@pytest.mark.parametrize("sampler", listops.SAMPLERS)
def test_same_seed_same_tree_other_seed_other_tree(sampler):
    draw = lambda seed: listops.sample_tree(random.Random(seed), 8, sampler=sampler)  # noqa: E731
    assert draw(3) == draw(3)
    assert draw(3) != draw(4)


@pytest.mark.parametrize(
    "tokens, message",
    [
        ("", "no tokens"),
        ("3", "token 1 (3) is a value outside any operator"),
        ("[MIN 3 ] ]", "token 4 (]) follows the end of the tree"),
        ("[MIN 3 [MAX 1", "2 operator(s) lack their ]"),
        ("[MIN ]", "token 2 (]) closes [MIN without arguments"),
        ("[MIN 3 12 ]", "token 3 (12) is none of the digits, ] and the operators [MIN [MAX"),
        ("[AVG 3 ]", "token 1 ([AVG) is none of"),
    ],
)
def test_from_tokens_names_the_problem(tokens, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        listops.from_tokens(tokens.split())


def test_from_tokens_inverts_to_tokens():
    rng = random.Random(5)
    for _ in range(50):
        tree = listops.sample_tree(rng, rng.randint(1, 6), ALL_OPERATORS, min_args=1)
        assert listops.from_tokens(listops.to_tokens(tree)) == tree


# --- command line ------------------------------------------------------------

TINY = ["--train-size", "50", "--valid-size", "10", "--test-size", "10"]
FILES = ["train.src", "train.label", "valid.src", "valid.label", "test.src", "test.label",
         "dict.src.txt", "generation.txt"]


def run_cli(out_dir, *options):
    listops.main([*TINY, "--out", str(out_dir), *options])


def read_lines(path):
    with open(path, encoding="utf-8") as file:
        return file.read().splitlines()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("listops") / "all_operators"
    run_cli(out_dir, "--depth", "4", "--operators", *ALL_OPERATORS, "--seed", "7")
    return out_dir


def test_cli_writes_every_file_and_prints_statistics(tmp_path, capsys):
    run_cli(tmp_path / "out", "--depth", "10")
    assert sorted(os.listdir(tmp_path / "out")) == sorted(FILES)
    out = capsys.readouterr().out
    assert "published sampler" in out and "split sizes: train 50, valid 10, test 10" in out
    assert "depth check: ok, every tree has depth 10 (deepest value at level 11)" in out
    assert read_lines(tmp_path / "out" / "generation.txt") == [
        "python -m fwp_plugin.data.listops --depth 10 --operators MIN MAX FIRST --min-args 2 --max-args 5 "
        "--value-prob 0.75 --sampler published --max-attempts 100000 --max-sample-tokens 10000 "
        "--train-size 50 --valid-size 10 --test-size 10 --seed 1 "
        f"--out {tmp_path / 'out'}"
    ]


@pytest.mark.parametrize("sampler", listops.SAMPLERS)
def test_cli_statistics_are_those_of_the_files_and_of_the_draws(tmp_path, capsys, sampler):
    options = ["--depth", "5", "--seed", "3", "--sampler", sampler]
    run_cli(tmp_path / "out", *options)
    printed = dict(line.strip().split(": ", 1) for line in capsys.readouterr().out.splitlines()[1:])
    lengths = [len(line.split()) for split in ("train", "valid", "test")
               for line in read_lines(tmp_path / "out" / f"{split}.src")]
    assert printed["source length (tokens)"] == (
        f"mean {statistics.fmean(lengths):.1f}, sd {statistics.pstdev(lengths):.1f}, max {max(lengths)}")
    labels = Counter(line for split in ("train", "valid", "test")
                     for line in read_lines(tmp_path / "out" / f"{split}.label"))
    assert printed["labels"] == ", ".join(f"{label}: {100 * labels[label] / 70:.1f}%" for label in sorted(labels))
    # the rejected trees, counted again by drawing the same samples
    args = listops.build_parser().parse_args([*TINY, "--out", "unused", *options])
    rng, rejected = random.Random(3), Counter()
    dataset_files.draw_unique_samples(lambda: listops.draw_sample(rng, args, rejected), {"train": 50, "valid": 10,
                                                                                          "test": 10})
    assert printed["trees drawn again"] == (
        f"{rejected['too shallow']} too shallow, {rejected['too deep']} too deep, 0 longer than --max-sample-tokens "
        "10000")
    assert rejected["too shallow"] > 0 and (rejected["too deep"] > 0) == (sampler == "published")


def test_cli_files_are_consistent(written):
    sources = {split: read_lines(written / f"{split}.src") for split in ("train", "valid", "test")}
    labels = {split: read_lines(written / f"{split}.label") for split in ("train", "valid", "test")}
    assert [len(sources[split]) for split in sources] == [50, 10, 10]
    all_sources = [line for lines in sources.values() for line in lines]
    assert len(set(all_sources)) == len(all_sources)  # no tree twice, within or across splits
    for split in sources:
        assert len(labels[split]) == len(sources[split])
        for source, label in zip(sources[split], labels[split]):
            value, depth, _ = reference_evaluate(source)
            assert label == str(value) and depth == 4


def test_cli_dictionary_holds_the_full_vocabulary_with_train_counts(written):
    lines = read_lines(written / "dict.src.txt")
    dictionary = {token: int(count) for token, count in (line.split(" ") for line in lines)}
    assert set(dictionary) == {str(digit) for digit in range(10)} | {"[" + name for name in ALL_OPERATORS} | {"]"}
    train_counts = Counter(token for line in read_lines(written / "train.src") for token in line.split())
    assert {token: dictionary[token] for token in train_counts} == dict(train_counts)
    for split in ("valid", "test"):
        assert {token for line in read_lines(written / f"{split}.src") for token in line.split()} <= set(dictionary)


def test_cli_is_deterministic_under_a_seed(tmp_path, written):
    run_cli(tmp_path / "again", "--depth", "4", "--operators", *ALL_OPERATORS, "--seed", "7")
    for name in FILES[:-1]:
        assert (tmp_path / "again" / name).read_bytes() == (written / name).read_bytes(), name
    run_cli(tmp_path / "other", "--depth", "4", "--operators", *ALL_OPERATORS, "--seed", "8")
    assert (tmp_path / "other" / "train.src").read_bytes() != (written / "train.src").read_bytes()


@pytest.mark.parametrize(
    "options, message",
    [
        (["--operators", "MIN", "AVG"], "unknown operator(s) AVG; valid operators: MIN MAX FIRST LAST SM MED"),
        (["--operators", "MIN", "MIN"], "--operators must list one or more distinct operators"),
        (["--depth", "0"], "--depth must be at least 1"),
        (["--depth", "60", "--sampler", "capped", "--max-attempts", "200"], "no tree of depth 60 in 200 attempts"),
        (["--depth", "20"], "--depth 20 is out of the published sampler's reach"),
        (["--depth", "4", "--value-prob", "0"], "depth 4 is unreachable with --value-prob 0 and --sampler published"),
        (["--sampler", "cut"], "invalid choice: 'cut'"),
        (["--depth", "3", "--value-prob", "1"], "depth 3 is unreachable with --value-prob 1"),
        (["--min-args", "4", "--max-args", "3"], "--max-args (3) is below --min-args (4)"),
        (["--min-args", "0"], "--min-args must be at least 1"),
        (["--value-prob", "1.5"], "--value-prob must be a probability in [0, 1]"),
        (["--train-size", "0"], "--train-size must be at least 1"),
        # depth 1, MIN only, 1 argument: 10 distinct trees, 70 requested
        (["--depth", "1", "--operators", "MIN", "--min-args", "1", "--max-args", "1"], "only 10 distinct samples"),
    ],
)
def test_cli_bad_settings(tmp_path, capsys, options, message):
    with pytest.raises(SystemExit):
        run_cli(tmp_path / "out", *options)
    assert message in capsys.readouterr().err
    assert os.listdir(tmp_path) == []  # no --out, and no partial directory left behind


def test_cli_refuses_to_overwrite(tmp_path, capsys):
    (tmp_path / "dict.src.txt").write_text("mine\n")
    with pytest.raises(SystemExit):
        run_cli(tmp_path)
    err = capsys.readouterr().err
    assert "refusing to overwrite" in err and str(tmp_path / "dict.src.txt") in err
    assert (tmp_path / "dict.src.txt").read_text() == "mine\n"
    assert sorted(os.listdir(tmp_path)) == ["dict.src.txt"]
