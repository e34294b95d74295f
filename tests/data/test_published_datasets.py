"""fwp_plugin.data.published_datasets: the authors' files, written here in their formats, become task directories.

The formats (from IDSIA/recurrent-fwp, algorithmic/utils): ListOps lines ``LENGTH LABEL TOKENS...`` in
``SPLIT_LEVEL.txt``; code execution programs in ``SPLIT_LEVEL.src`` and their aligned targets in
``SPLIT_LEVEL.tgt``, every statement followed by a space (so every line ends with one).
"""

import hashlib
import os
import random

import pytest

from fwp_plugin.data import code_execution, dataset_files, listops, published_datasets

LISTOPS_LEVEL = "a5d20max401min299dep4"  # depth 3: deepest value at level 4
SIZES = {"train": 12, "valid": 4, "test": 4}
HAND_WRITTEN = ["8 0 [MIN 3 [MAX 1 9 ] 0 ]", "4 9 [MAX 1 9 ]", "7 4 [FIRST 4 [MIN 5 6 ] ]"]


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def listops_line(tree):
    tokens = listops.to_tokens(tree)
    return f"{len(tokens)} {listops.evaluate(tree)} {' '.join(tokens)}"


@pytest.fixture
def listops_dump(tmp_path):
    """The authors' ListOps files: hand-written trees first, then depth-3 trees; valid repeats a train line."""
    rng = random.Random(0)
    lines = {split: [listops_line(listops.sample_tree(rng, 3)) for _ in range(size)] for split, size in SIZES.items()}
    lines["train"][:3] = HAND_WRITTEN
    lines["valid"][1] = lines["train"][5]
    (tmp_path / "listops_dump").mkdir()
    for split, split_lines in lines.items():
        write(tmp_path / "listops_dump" / f"{split}_{LISTOPS_LEVEL}.txt", split_lines)
    return tmp_path / "listops_dump", lines


@pytest.fixture
def code_dump(tmp_path):
    """The authors' code execution files for 5 variables: 12-statement programs, published semantics."""
    rng = random.Random(0)
    dump = tmp_path / "code_dump"
    dump.mkdir()
    programs = {}
    for split, size in SIZES.items():
        programs[split] = [code_execution.generate_program(rng, 5, 12, "published") for _ in range(size)]
        write(dump / f"{split}_5.src", (" ".join(tokens) + " " for tokens in programs[split]))
        write(dump / f"{split}_5.tgt",
              (" ".join(code_execution.execute(tokens, "published")) + " " for tokens in programs[split]))
    return dump, programs


def convert(task, dump, level, out):
    published_datasets.main(["--task", task, "--dir", str(dump), "--level", level, "--out", str(out)])


def fails_with(capsys, task, dump, level, out):
    """Run the converter, expect a usage error; return its stderr."""
    with pytest.raises(SystemExit) as exit_info:
        convert(task, dump, level, out)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def read_lines(path):
    return path.read_text(encoding="utf-8").splitlines()


def dictionary_tokens(path):
    return [line.split(" ")[0] for line in read_lines(path)]


def check_conversion_record(out, command, inputs):
    lines = read_lines(out / "conversion.txt")
    assert lines[0] == "python -m fwp_plugin.data.published_datasets " + command
    assert lines[1:] == [f"sha256 {hashlib.sha256(path.read_bytes()).hexdigest()} {path}" for path in inputs]


def test_listops_files_become_a_task_directory(tmp_path, capsys, listops_dump):
    dump, lines = listops_dump
    convert("listops", dump, LISTOPS_LEVEL, tmp_path / "out")
    for split, split_lines in lines.items():  # every line kept, in order, repeats included
        assert read_lines(tmp_path / "out" / f"{split}.src") == [line.split(" ", 2)[2] for line in split_lines]
        assert read_lines(tmp_path / "out" / f"{split}.label") == [line.split(" ")[1] for line in split_lines]
    # the dictionary of generated data (same tokens, same order), with the train counts
    vocabulary = listops.source_vocabulary(listops.DEFAULT_OPERATORS)
    assert dictionary_tokens(tmp_path / "out" / "dict.src.txt") == list(vocabulary)
    train_counts = dataset_files.count_tokens(read_lines(tmp_path / "out" / "train.src"))
    assert read_lines(tmp_path / "out" / "dict.src.txt")[10] == f"[MIN {train_counts['[MIN']}"
    check_conversion_record(tmp_path / "out", f"--task listops --dir {dump} --level {LISTOPS_LEVEL} --out "
                            f"{tmp_path / 'out'}", [dump / f"{split}_{LISTOPS_LEVEL}.txt" for split in SIZES])
    out = capsys.readouterr().out
    assert "split sizes: train 12, valid 4, test 4" in out
    assert "depths: 1: 5.0%, 2: 10.0%, 3: 85.0%" in out  # the hand-written trees have depths 2, 1 and 2
    assert "samples repeating an earlier one (kept): 1 (train 0, valid 1, test 0)" in out


def test_code_execution_files_become_a_task_directory(tmp_path, capsys, code_dump):
    dump, programs = code_dump
    convert("code_execution", dump, "5", tmp_path / "out")
    for split, tokens_list in programs.items():  # the trailing spaces are gone, nothing else changed
        assert read_lines(tmp_path / "out" / f"{split}.src") == [" ".join(tokens) for tokens in tokens_list]
        assert read_lines(tmp_path / "out" / f"{split}.tgt") == [
            " ".join(code_execution.execute(tokens, "published")) for tokens in tokens_list]
    assert dictionary_tokens(tmp_path / "out" / "dict.src.txt") == list(code_execution.source_vocabulary(5))
    assert dictionary_tokens(tmp_path / "out" / "dict.tgt.txt") == list(code_execution.target_vocabulary())
    counts = dataset_files.count_tokens(read_lines(tmp_path / "out" / "train.tgt"))
    assert read_lines(tmp_path / "out" / "dict.tgt.txt")[0] == f"_ {counts['_']}"
    check_conversion_record(tmp_path / "out", f"--task code_execution --dir {dump} --level 5 --out {tmp_path / 'out'}",
                            [dump / f"{split}_5.{column}" for split in SIZES for column in ("src", "tgt")])
    out = capsys.readouterr().out
    assert "split sizes: train 12, valid 4, test 4" in out and "executed prints per program" in out
    assert "samples repeating an earlier one (kept): 0 (train 0, valid 0, test 0)" in out


def test_converted_directories_load_in_the_tasks(tmp_path, listops_dump, code_dump):
    from fwp_plugin.tasks.algorithmic_task import AlgorithmicTaskConfig
    from fwp_plugin.tasks.code_execution import CodeExecutionTask
    from fwp_plugin.tasks.listops import ListOpsTask

    convert("listops", listops_dump[0], LISTOPS_LEVEL, tmp_path / "listops")
    convert("code_execution", code_dump[0], "5", tmp_path / "code")
    for task_class, directory in [(ListOpsTask, "listops"), (CodeExecutionTask, "code")]:
        task = task_class.setup_task(AlgorithmicTaskConfig(data=str(tmp_path / directory)))
        for split, size in SIZES.items():
            task.load_dataset(split)
            assert len(task.dataset(split)) == size
    batch = task.dataset("train").collater([task.dataset("train")[0]])
    assert batch["net_input"]["src_tokens"].shape[1] == len(code_dump[1]["train"][0])


# --- bad input -----------------------------------------------------------------


@pytest.mark.parametrize(
    "line, message",
    [
        ("", "0 field(s); a line is LENGTH LABEL TOKENS..."),
        ("4 9", "2 field(s)"),
        ("5 9 [MAX 1 9 ]", "LENGTH is 5 but 4 tokens follow LABEL"),
        ("x 9 [MAX 1 9 ]", "LENGTH is x but 4 tokens follow LABEL"),
        ("4 10 [MAX 1 9 ]", "LABEL 10 is not a digit 0..9"),
        ("4 1 [MAX 1 9 ]", "LABEL is 1 but the tree's value is 9"),
        ("4 9 [MAX 1 9 9", "not a tree: 1 operator(s) lack their ]"),
        ("4 9 [AVG 1 9 ]", "not a tree: token 1 ([AVG) is none of the digits"),
        ("5 9 [MAX 1 9 ] 3", "not a tree: token 5 (3) follows the end of the tree"),
    ],
)
def test_a_malformed_listops_line_is_named(tmp_path, capsys, listops_dump, line, message):
    dump, lines = listops_dump
    path = dump / f"valid_{LISTOPS_LEVEL}.txt"
    write(path, lines["valid"][:2] + [line] + lines["valid"][3:])
    err = fails_with(capsys, "listops", dump, LISTOPS_LEVEL, tmp_path / "out")
    assert f"{path} line 3: {message}" in err
    assert sorted(os.listdir(tmp_path)) == ["listops_dump"]  # no --out, no partial directory


def replace_line(path, number, text):
    lines = read_lines(path)
    lines[number - 1] = text
    write(path, lines)


PROGRAM, TARGETS = "x = 3 ; print x ;", "_ _ _ _ _ _ 3"
COUNTING = "x = 9 ; " + "x ++ ; " * 8 + "print x ;"  # prints 17, outside the generator's values


@pytest.mark.parametrize(
    "source, target, message",
    [
        ("x = 3 ; print w ;", TARGETS, "src line 2: w not in the 5-variable vocabulary x y z a b = ;"),
        ("x = 3 ; print x", TARGETS, "src line 2: not a program: program does not end with ';': print x"),
        ("x = 3 ; x print ;", TARGETS, "src line 2: not a program: statement 2 (x print ;) is none of v = n ;"),
        ("x = 3 ; if x < 5 : if x < 2 : print x ;", TARGETS,
         "src line 2: not a program: statement 2 (if x < 5 : if x < 2 : print x ;) is none of"),
        ("x = 3 ; print y ;", TARGETS, "src line 2: not a program: variable y is used before it has a value"),
        (" ", TARGETS, "src line 2: empty line; a line holds one program"),
        (PROGRAM, "_ _ _ _ _ _", "tgt line 2: 6 targets for the 7 tokens of"),
        (PROGRAM, "_ _ _ _ _ _ 4", "tgt line 2: target 7 is 4 but the program"),
        (COUNTING, "_ " * 30 + "17", "tgt line 2: printed value(s) 17 outside -8..16"),
    ],
)
def test_a_malformed_program_is_named(tmp_path, capsys, code_dump, source, target, message):
    dump, _ = code_dump
    replace_line(dump / "test_5.src", 2, source)
    replace_line(dump / "test_5.tgt", 2, target)
    err = fails_with(capsys, "code_execution", dump, "5", tmp_path / "out")
    assert f"{dump / 'test_5'}.{message}" in err
    assert sorted(os.listdir(tmp_path)) == ["code_dump"]


def test_source_and_target_files_of_different_lengths(tmp_path, capsys, code_dump):
    dump, _ = code_dump
    write(dump / "valid_5.tgt", read_lines(dump / "valid_5.tgt")[:-1])
    err = fails_with(capsys, "code_execution", dump, "5", tmp_path / "out")
    assert f"{dump / 'valid_5.src'} has 4 lines but {dump / 'valid_5.tgt'} has 3" in err


def test_missing_files_name_the_levels_present(tmp_path, capsys, listops_dump, code_dump):
    err = fails_with(capsys, "listops", listops_dump[0], "a5d20max401min299dep16", tmp_path / "out")
    assert f"not found: {listops_dump[0] / 'train_a5d20max401min299dep16.txt'}" in err
    assert f"the levels of {listops_dump[0]}: {LISTOPS_LEVEL}" in err
    assert "--level 3x: for code execution the level is the number of variables, 3 or 5" in fails_with(
        capsys, "code_execution", code_dump[0], "3x", tmp_path / "out")
    err = fails_with(capsys, "code_execution", code_dump[0], "3", tmp_path / "out")
    assert "not found" in err and f"the levels of {code_dump[0]}: 5" in err
    assert f"--dir {tmp_path / 'none'} is not a directory" in fails_with(
        capsys, "listops", tmp_path / "none", LISTOPS_LEVEL, tmp_path / "out")
    (listops_dump[0] / f"test_{LISTOPS_LEVEL}.txt").write_bytes(b"")
    assert "is empty" in fails_with(capsys, "listops", listops_dump[0], LISTOPS_LEVEL, tmp_path / "out")
    (listops_dump[0] / f"test_{LISTOPS_LEVEL}.txt").write_bytes(b"4 9 [MAX 1 \xff ]\n")
    assert "is not UTF-8 text" in fails_with(capsys, "listops", listops_dump[0], LISTOPS_LEVEL, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_nothing_is_overwritten(tmp_path, capsys, listops_dump):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "train.src").write_text("mine\n")
    err = fails_with(capsys, "listops", listops_dump[0], LISTOPS_LEVEL, tmp_path / "out")
    assert "refusing to overwrite existing file(s): " + str(tmp_path / "out" / "train.src") in err
    assert os.listdir(tmp_path / "out") == ["train.src"] and (tmp_path / "out" / "train.src").read_text() == "mine\n"


def test_every_option_has_help():
    actions = published_datasets.build_parser()._actions
    assert {action.dest for action in actions} == {"help", "task", "dir", "level", "out"}
    assert all(action.help for action in actions)
