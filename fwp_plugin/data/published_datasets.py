"""Convert the data sets Irie et al. 2021 published into this plugin's task directories.

The authors' files (``algorithmic/README.md`` of IDSIA/recurrent-fwp links
the download), as their scripts write and read them:

- code execution (``utils/data_generator.py``, read by ``main.py``):
  ``{train,valid,test}_LEVEL.src`` and ``.tgt`` with LEVEL the number of
  variables (3 or 5). A ``.src`` line is one program, its tokens separated by
  spaces (and a trailing space); the ``.tgt`` line at the same number holds
  its targets, token for token (``_``, or the printed value at the ``;`` of
  an executed print), under the semantics our generator calls
  ``published``. Their script draws a split's last program but does not write
  it: 9999 / 999 / 999 lines for its default sizes.
- ListOps (``utils/nyu_listops.py``, read by ``listops_main.py``):
  ``{train,valid,test}_LEVEL.txt`` with LEVEL such as
  ``a5d20max401min299dep16`` (at most 5 arguments, level cap 20, length
  bounds that their script does not apply, deepest value at level 16, that is
  depth 15). A line is ``LENGTH LABEL TOKENS...``: LENGTH the number of
  tokens (their model reads its prediction at that token), LABEL the tree's
  value 0..9, then the tree (``[MIN 3 [MAX 1 9 ] 0 ]``).

The conversion writes what our generators write (``SPLIT.src`` and
``SPLIT.tgt`` or ``SPLIT.label``, and fairseq dictionaries of the task's full
vocabulary with train counts, so the token indices are those of generated
data), with ``conversion.txt`` in place of ``generation.txt``: the command
and the sha256 of every file read. The samples stay as published, in their
order, repeats included (the authors' scripts do not remove them). Every line
is checked (the tokens, the alignment, the LENGTH field, and that the labels
or targets are what the tree or program gives), and the first bad one stops
the conversion with its file and line number; nothing reaches ``--out`` then.

Command line: ``python -m fwp_plugin.data.published_datasets --task listops
--dir DUMP --level a5d20max401min299dep16 --out DIR``.
"""

import argparse
import glob
import hashlib
import os
import re
from collections import Counter

from . import code_execution, dataset_files, listops

TASKS = ("code_execution", "listops")
COLUMNS = {"code_execution": ("src", "tgt"), "listops": ("src", "label")}
SUFFIXES = {"code_execution": (".src", ".tgt"), "listops": (".txt",)}


def input_paths(task, directory, level):
    """split -> the authors' files of that split (``.src`` and ``.tgt``, or the one ``.txt``)."""
    return {split: tuple(os.path.join(directory, f"{split}_{level}{suffix}") for suffix in SUFFIXES[task])
            for split in dataset_files.SPLITS}


def levels_in(task, directory):
    """The levels of the train files of ``task`` in ``directory``, sorted."""
    suffix = SUFFIXES[task][0]
    paths = glob.glob(os.path.join(glob.escape(directory), f"train_*{suffix}"))
    return sorted(os.path.basename(path)[len("train_"):-len(suffix)] for path in paths)


def check_inputs(task, directory, level):
    """Raise GenerationError, naming what is missing and the levels present, unless every input file exists."""
    if not os.path.isdir(directory):
        raise dataset_files.GenerationError(f"--dir {directory} is not a directory; give the directory holding the "
                                            "authors' files")
    if task == "code_execution" and level not in ("3", "5"):
        raise dataset_files.GenerationError(
            f"--level {level}: for code execution the level is the number of variables, 3 or 5 "
            "(train_5.src, train_5.tgt, ...)")
    paths = [path for split_paths in input_paths(task, directory, level).values() for path in split_paths]
    missing = [path for path in paths if not os.path.isfile(path)]
    if missing:
        found = levels_in(task, directory)
        raise dataset_files.GenerationError(
            f"not found: {', '.join(missing)}; --task {task} --level {level} reads "
            + ", ".join(os.path.basename(path) for path in paths)
            + (f"; the levels of {directory}: {' '.join(found)}" if found else f"; {directory} holds no "
               f"train_LEVEL{SUFFIXES[task][0]} file")
        )


def read_lines(path):
    """The lines of ``path`` without their line ends; GenerationError for an empty or non-UTF-8 file."""
    try:
        with open(path, encoding="utf-8") as file:
            lines = [line.rstrip("\r\n") for line in file]
    except UnicodeDecodeError as error:
        raise dataset_files.GenerationError(f"{path} is not UTF-8 text ({error.reason} at byte {error.start}); "
                                            "give the authors' text files") from error
    if not lines:
        raise dataset_files.GenerationError(f"{path} is empty; give the authors' files as downloaded")
    return lines


def line_error(path, number, problem):
    """A GenerationError for line ``number`` of ``path``."""
    return dataset_files.GenerationError(f"{path} line {number}: {problem}")


# --- one line ----------------------------------------------------------------


def statement_pattern(num_vars):
    """A regular expression matching one statement (its tokens joined by spaces) of the code execution grammar."""
    variable, constant = "(" + "|".join(code_execution.variable_names(num_vars)) + ")", "[0-9]"
    simple = rf"{variable} = {constant} ;|{variable} (\+\+|--) ;|print {variable} ;"
    return rf"(if {variable} [<>] {constant} : )?({simple})"


def read_program(paths, number, source_line, target_line, num_vars):
    """(source line, target line) of one program; GenerationError naming the file and line of a problem."""
    source_path, target_path = paths
    source, target = source_line.split(), target_line.split()
    if not source:
        raise line_error(source_path, number, "empty line; a line holds one program")
    vocabulary = code_execution.source_vocabulary(num_vars)
    unknown = sorted(set(source) - set(vocabulary))
    if unknown:
        raise line_error(source_path, number, f"{' '.join(unknown)} not in the {num_vars}-variable vocabulary "
                                              f"{' '.join(vocabulary)}")
    try:
        pattern = re.compile(statement_pattern(num_vars))  # compiled once: re caches it
        for index, statement in enumerate(code_execution.split_statements(source), start=1):
            if not pattern.fullmatch(" ".join(statement)):
                raise ValueError(f"statement {index} ({' '.join(statement)}) is none of v = n ;  v ++ ;  v -- ;  "
                                 "print v ;  if v < n : S  if v > n : S")
        expected = code_execution.execute(source, "published")
    except ValueError as error:
        raise line_error(source_path, number, f"not a program: {error}") from error
    if len(target) != len(source):
        raise line_error(target_path, number, f"{len(target)} targets for the {len(source)} tokens of "
                                              f"{source_path} line {number}: targets are aligned token for token")
    if target != expected:
        index = next(index for index, (found, wanted) in enumerate(zip(target, expected)) if found != wanted)
        raise line_error(target_path, number,
                         f"target {index + 1} is {target[index]} but the program ({source_path} line {number}) "
                         f"gives {expected[index]} there under the published semantics: the files are not the "
                         "published generator's, or their lines are out of step")
    outside = sorted(set(target) - set(code_execution.target_vocabulary()), key=int)
    if outside:
        raise line_error(target_path, number, f"printed value(s) {' '.join(outside)} outside "
                                              f"{code_execution.MIN_VALUE}..{code_execution.MAX_VALUE}, the values of "
                                              "the published generator")
    return " ".join(source), " ".join(target)


def read_tree(path, number, line):
    """(source line, label line) of a ListOps line ``LENGTH LABEL TOKENS...``; GenerationError naming a problem."""
    fields = line.split()
    if len(fields) < 3:
        raise line_error(path, number, f"{len(fields)} field(s); a line is LENGTH LABEL TOKENS...")
    length, label, tokens = fields[0], fields[1], fields[2:]
    if not re.fullmatch(r"[0-9]+", length) or int(length) != len(tokens):
        raise line_error(path, number, f"LENGTH is {length} but {len(tokens)} tokens follow LABEL")
    if label not in listops.DIGITS:
        raise line_error(path, number, f"LABEL {label} is not a digit 0..9")
    try:
        value = listops.evaluate(listops.from_tokens(tokens))
    except ValueError as error:
        raise line_error(path, number, f"not a tree: {error}") from error
    if str(value) != label:
        raise line_error(path, number, f"LABEL is {label} but the tree's value is {value}")
    return " ".join(tokens), label


# --- whole files -------------------------------------------------------------


def read_split(task, paths, level):
    """The samples of one split, as (source line, target or label line) pairs, every line checked."""
    if task == "listops":
        (path,) = paths
        return [read_tree(path, number, line) for number, line in enumerate(read_lines(path), start=1)]
    source_lines, target_lines = (read_lines(path) for path in paths)
    if len(source_lines) != len(target_lines):
        raise dataset_files.GenerationError(
            f"{paths[0]} has {len(source_lines)} lines but {paths[1]} has {len(target_lines)}: a program and "
            "its targets are on the same line number; give the two files of one data set")
    return [read_program(paths, number, source, target, int(level))
            for number, (source, target) in enumerate(zip(source_lines, target_lines), start=1)]


def sha256(path):
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def repeats_row(splits):
    """The statistics row counting the samples equal to an earlier one (train, then valid, then test)."""
    seen, repeats = set(), Counter()
    for split, samples in splits.items():
        for sample in samples:
            repeats[split] += sample in seen
            seen.add(sample)
    return ("samples repeating an earlier one (kept)",
            f"{sum(repeats.values())} (" + ", ".join(f"{split} {repeats[split]}" for split in splits) + ")")


def write_dictionaries(directory, task, level, splits):
    """The fairseq dictionaries of the task's full vocabulary, counts from train."""
    train = splits["train"]
    if task == "listops":
        used = {token for samples in splits.values() for source, _ in samples for token in source.split()}
        operators = [name for name in listops.OPERATORS if listops.OPEN + name in used]
        dataset_files.write_dictionary(os.path.join(directory, "dict.src.txt"), listops.source_vocabulary(operators),
                                       dataset_files.count_tokens(source for source, _ in train))
        return
    dataset_files.write_dictionary(os.path.join(directory, "dict.src.txt"),
                                   code_execution.source_vocabulary(int(level)),
                                   dataset_files.count_tokens(source for source, _ in train))
    dataset_files.write_dictionary(os.path.join(directory, "dict.tgt.txt"), code_execution.target_vocabulary(),
                                   dataset_files.count_tokens(target for _, target in train))


# --- command line ------------------------------------------------------------


def build_parser():
    """The command-line parser."""
    parser = argparse.ArgumentParser(
        prog="python -m fwp_plugin.data.published_datasets",
        description="Convert the authors' published code execution or ListOps files (Irie et al. 2021) into a "
                    "task directory of this plugin (train/valid/test files and fairseq dictionaries).",
    )
    parser.add_argument("--task", required=True, choices=TASKS,
                        help="the data set the files hold: code_execution (SPLIT_LEVEL.src and .tgt) or listops "
                             "(SPLIT_LEVEL.txt, lines LENGTH LABEL TOKENS...)")
    parser.add_argument("--dir", required=True, help="the directory holding the authors' files")
    parser.add_argument("--level", required=True,
                        help="the end of the file names after SPLIT_, as the authors' --level: the number of "
                             "variables for code_execution (5 reads train_5.src ...), the settings for listops "
                             "(a5d20max401min299dep16 reads train_a5d20max401min299dep16.txt ...)")
    parser.add_argument("--out", required=True,
                        help="output directory (created if missing; existing files are never overwritten); "
                             "written as a whole: a bad line or an interrupted run leaves nothing there")
    return parser


def convert(args):
    """Check the files, read and check every line, write the task directory and print statistics."""
    check_inputs(args.task, args.dir, args.level)
    columns = COLUMNS[args.task]
    dictionaries = ["dict.src.txt"] + (["dict.tgt.txt"] if args.task == "code_execution" else [])
    names = dataset_files.split_file_names(columns) + dictionaries + ["conversion.txt"]
    paths = input_paths(args.task, args.dir, args.level)
    with dataset_files.output_directory(args.out, names) as directory:
        splits = {split: read_split(args.task, split_paths, args.level) for split, split_paths in paths.items()}
        dataset_files.write_split_files(directory, splits, columns)
        write_dictionaries(directory, args.task, args.level, splits)
        dataset_files.write_lines(os.path.join(directory, "conversion.txt"), [
            dataset_files.settings_command(__spec__.name, args),
            *(f"sha256 {sha256(path)} {path}" for split_paths in paths.values() for path in split_paths),
        ])
    if args.task == "listops":
        rows = listops.statistics_rows(splits)
    else:
        rows = code_execution.statistics_rows(splits, "published")
    dataset_files.print_statistics(f"{args.task}, the authors' files {args.dir}/SPLIT_{args.level}, converted to "
                                   f"{args.out}", rows + [repeats_row(splits)])


def main(argv=None):
    """Command-line entry point; bad input ends with a usage error naming the file, the line and the problem."""
    dataset_files.run_command_line(build_parser(), convert, argv)


if __name__ == "__main__":
    main()
