"""fwp_plugin.data.code_execution: targets checked by an independent interpreter, program shape, files, CLI."""

import os
import random
import re
from collections import Counter

import pytest

from fwp_plugin.data import code_execution

SIMPLE = r"(?:[xyzab] = [0-9]|[xyzab] (?:\+\+|--)|print [xyzab]) ;"
STATEMENT = re.compile(rf"(?:if [xyzab] [<>] [0-9] : )?{SIMPLE}")


def reference_run(tokens, published):
    """Independent interpreter: (targets, every value a variable took). KeyError on an unassigned read."""
    values, targets, seen = {}, [], set()
    start = 0
    while start < len(tokens):
        end = tokens.index(";", start)
        statement = tokens[start:end + 1]
        targets.extend(["_"] * len(statement))
        in_if, runs = statement[0] == "if", True
        if in_if:
            variable, comparison, constant = statement[1], statement[2], int(statement[3])
            runs = values[variable] < constant if comparison == "<" else values[variable] > constant
            statement = statement[5:]
        if runs:
            if statement[0] == "print":
                targets[end] = str(values[statement[1]])
            elif statement[1] == "=":
                if not (published and in_if and statement[0] in values):
                    values[statement[0]] = int(statement[2])
            else:
                values[statement[0]] += 1 if statement[1] == "++" else -1
        seen.update(values.values())
        start = end + 1
    return targets, seen


def statements_of(tokens):
    """The statements of a program as strings."""
    return [statement.strip() + " ;" for statement in " ".join(tokens).split(";")[:-1]]


def programs(num_vars, semantics, count=200, num_statements=100, seed=0):
    rng = random.Random(seed)
    return [code_execution.generate_program(rng, num_vars, num_statements, semantics) for _ in range(count)]


@pytest.mark.parametrize("num_vars", [3, 5])
@pytest.mark.parametrize("semantics", ["correct", "published"])
def test_targets_match_independent_interpreter(num_vars, semantics):
    for tokens in programs(num_vars, semantics):
        expected, seen = reference_run(tokens, published=semantics == "published")
        targets = code_execution.execute(tokens, semantics)
        assert targets == expected
        assert len(targets) == len(tokens)
        assert min(seen) >= -8 and max(seen) <= 16


@pytest.mark.parametrize("num_vars", [3, 5])
def test_program_shape(num_vars):
    names = "xyzab"[:num_vars]
    kinds = Counter()
    for tokens in programs(num_vars, "correct", count=100, num_statements=60):
        statements = statements_of(tokens)
        assert len(statements) == 60
        assert re.fullmatch(r"[xyzab] = [0-9] ;", statements[0])
        assert re.fullmatch(r"print [xyzab] ;", statements[-1])
        for statement in statements:
            assert STATEMENT.fullmatch(statement), statement
        assert {token for token in tokens if token.isalpha() and len(token) == 1} <= set(names)
        for statement in statements[1:-1]:
            kinds["if" if statement.startswith("if") else "print" if "print" in statement
                  else "=" if " = " in statement else "step"] += 1
    # the four kinds are drawn uniformly: 5880 statements, about 1470 each
    assert all(1300 < count < 1650 for count in kinds.values()), kinds


def test_step_is_kept_inside_the_value_range():
    rng = random.Random(0)
    for _ in range(50):
        assert code_execution.draw_step(rng, ("x",), {"x": 16}) == ("x", "--", ";")
        assert code_execution.draw_step(rng, ("x",), {"x": -8}) == ("x", "++", ";")


@pytest.mark.parametrize(
    "program, correct, published",
    [
        ("x = 3 ; y = 1 ; if x > 2 : y ++ ; print y ;", "2", "2"),
        # the published quirk: a re-assignment inside a true if is ignored
        ("x = 3 ; if x > 2 : x = 7 ; print x ;", "7", "3"),
        ("y = 1 ; x = 3 ; if y < 5 : x = 0 ; x ++ ; print x ; print y ;", "1 1", "4 1"),
        # ... but not an assignment to a variable without a value
        ("x = 3 ; if x > 2 : y = 5 ; print y ;", "5", "5"),
        # ... nor one inside a false if (ignored by both) or outside any if
        ("x = 3 ; if x < 2 : x = 7 ; x = 4 ; print x ;", "4", "4"),
        ("x = 9 ; x -- ; if x < 9 : print x ; if x > 8 : print x ; print x ;", "8 8", "8 8"),
    ],
)
def test_hand_written_programs(program, correct, published):
    tokens = program.split()
    for semantics, printed in (("correct", correct), ("published", published)):
        targets = code_execution.execute(tokens, semantics)
        assert len(targets) == len(tokens) and targets[-1] == printed.split()[-1]
        assert [target for target in targets if target != "_"] == printed.split()


def test_print_in_false_if_has_no_target():
    tokens = "x = 3 ; if x < 2 : print x ; print x ;".split()
    assert " ".join(code_execution.execute(tokens)) == "_ " * 14 + "3"  # 15 tokens


def test_example_from_the_brief_is_aligned():
    tokens = "x = 3 ; y = 1 ; if x > 2 : y ++ ; print y ;".split()
    assert " ".join(code_execution.execute(tokens)) == "_ " * 18 + "2"  # 19 tokens


def test_published_quirk_changes_most_programs():
    samples = programs(5, "published", count=100)
    fired = sum(code_execution.quirk_fires(tokens) for tokens in samples)
    assert fired > 85


def test_same_seed_same_program_other_seed_other_program():
    draw = lambda seed: code_execution.generate_program(random.Random(seed), 5, 100)  # noqa: E731
    assert draw(3) == draw(3)
    assert draw(3) != draw(4)


# --- command line ------------------------------------------------------------

TINY = ["--train-size", "50", "--valid-size", "10", "--test-size", "10"]
FILES = ["train.src", "train.tgt", "valid.src", "valid.tgt", "test.src", "test.tgt",
         "dict.src.txt", "dict.tgt.txt", "generation.txt"]


def run_cli(out_dir, *options):
    code_execution.main([*TINY, "--out", str(out_dir), *options])


def read_lines(path):
    with open(path, encoding="utf-8") as file:
        return file.read().splitlines()


def read_dictionary(path):
    return {token: int(count) for token, count in (line.split(" ") for line in read_lines(path))}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("code_execution") / "ce5"
    run_cli(out_dir, "--num-vars", "5", "--num-statements", "30", "--seed", "7")
    return out_dir


def test_cli_writes_every_file_and_prints_statistics(tmp_path, capsys):
    run_cli(tmp_path / "out", "--num-vars", "3", "--semantics", "published")
    assert sorted(os.listdir(tmp_path / "out")) == sorted(FILES)
    out = capsys.readouterr().out
    assert "split sizes: train 50, valid 10, test 10" in out
    assert "source length (tokens): mean" in out
    assert "executed prints per program: mean" in out
    assert "printed values:" in out
    assert "programs where the published quirk ignores an assignment:" in out
    assert "programs whose targets differ under correct semantics:" in out
    assert read_lines(tmp_path / "out" / "generation.txt") == [
        "python -m fwp_plugin.data.code_execution --num-vars 3 --num-statements 100 --semantics published "
        "--max-sample-tokens 10000 "
        f"--train-size 50 --valid-size 10 --test-size 10 --seed 1 --out {tmp_path / 'out'}"
    ]


def test_cli_files_are_consistent(written):
    sources = {split: read_lines(written / f"{split}.src") for split in ("train", "valid", "test")}
    targets = {split: read_lines(written / f"{split}.tgt") for split in ("train", "valid", "test")}
    assert [len(sources[split]) for split in sources] == [50, 10, 10]
    all_sources = [line for lines in sources.values() for line in lines]
    assert len(set(all_sources)) == len(all_sources)  # no program twice, within or across splits
    for split in sources:
        for source, target in zip(sources[split], targets[split]):
            assert len(source.split()) == len(target.split())
            assert target.split() == reference_run(source.split(), published=False)[0]
            assert len(statements_of(source.split())) == 30


def test_cli_dictionaries_hold_the_full_vocabulary_with_train_counts(written):
    source_dict = read_dictionary(written / "dict.src.txt")
    target_dict = read_dictionary(written / "dict.tgt.txt")
    assert set(source_dict) == set("x y z a b = ; ++ -- print if < > : 0 1 2 3 4 5 6 7 8 9".split())
    assert set(target_dict) == {"_"} | {str(value) for value in range(-8, 17)}
    for suffix, dictionary in (("src", source_dict), ("tgt", target_dict)):
        train_counts = Counter(token for line in read_lines(written / f"train.{suffix}") for token in line.split())
        assert {token: dictionary[token] for token in train_counts} == dict(train_counts)
        for split in ("valid", "test"):
            split_tokens = {token for line in read_lines(written / f"{split}.{suffix}") for token in line.split()}
            assert split_tokens <= set(dictionary)


def test_cli_is_deterministic_under_a_seed(tmp_path, written):
    run_cli(tmp_path / "again", "--num-vars", "5", "--num-statements", "30", "--seed", "7")
    for name in FILES[:-1]:
        assert (tmp_path / "again" / name).read_bytes() == (written / name).read_bytes(), name
    run_cli(tmp_path / "other", "--num-vars", "5", "--num-statements", "30", "--seed", "8")
    assert (tmp_path / "other" / "train.src").read_bytes() != (written / "train.src").read_bytes()


def test_cli_num_vars_must_be_3_or_5(tmp_path, capsys):
    with pytest.raises(SystemExit):
        run_cli(tmp_path / "out", "--num-vars", "4")
    assert "--num-vars must be 3 or 5" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "options, message",
    [
        (["--semantics", "fixed"], "--semantics must be one of correct, published"),
        (["--num-statements", "1"], "--num-statements must be at least 2"),
        (["--valid-size", "0"], "--valid-size must be at least 1"),
    ],
)
def test_cli_bad_settings(tmp_path, capsys, options, message):
    with pytest.raises(SystemExit):
        run_cli(tmp_path / "out", *options)
    assert message in capsys.readouterr().err
    assert os.listdir(tmp_path) == []  # no --out, and no partial directory left behind


def test_cli_refuses_to_overwrite(tmp_path, capsys):
    (tmp_path / "valid.tgt").write_text("mine\n")
    with pytest.raises(SystemExit):
        run_cli(tmp_path)
    err = capsys.readouterr().err
    assert "refusing to overwrite" in err and str(tmp_path / "valid.tgt") in err
    assert (tmp_path / "valid.tgt").read_text() == "mine\n"
    assert sorted(os.listdir(tmp_path)) == ["valid.tgt"]


def test_cli_too_few_distinct_programs(tmp_path, capsys):
    # 2 statements over 3 variables: 30 distinct programs, 70 requested
    with pytest.raises(SystemExit):
        run_cli(tmp_path / "out", "--num-statements", "2")
    assert "only 30 distinct samples" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
