"""Reading the algorithmic tasks' data files, with errors that name the file and line.

A data directory holds, per split, one file per column (``train.src``,
``train.tgt`` or ``train.label``, ...), one sample per line, and fairseq
dictionaries (``dict.src.txt``, ...). Every missing file is reported with the
generator command that writes it.
"""

import os
from typing import List, Sequence

import torch
from fairseq.data import Dictionary


def missing(path: str, generator_command: str) -> FileNotFoundError:
    return FileNotFoundError(f"{path} not found: generate the data with `{generator_command}`")


def check_data_dir(data_dir: str, generator_command: str) -> None:
    """Raise FileNotFoundError unless ``data_dir`` is a directory."""
    if not data_dir or not os.path.isdir(data_dir):
        raise FileNotFoundError(
            f"data directory {data_dir} not found: generate it with `{generator_command}`"
        )


def load_dictionary(path: str, generator_command: str) -> Dictionary:
    if not os.path.isfile(path):
        raise missing(path, generator_command)
    return Dictionary.load(path)


def read_lines(path: str, generator_command: str) -> List[str]:
    """The lines of ``path``, without their line ends."""
    if not os.path.isfile(path):
        raise missing(path, generator_command)
    with open(path, encoding="utf-8") as file:
        return file.read().splitlines()


def check_same_line_count(path: str, lines: Sequence, other_path: str, other_lines: Sequence) -> None:
    """``lines``, ``other_lines``: the (read or encoded) lines of the two files."""
    if len(lines) != len(other_lines):
        raise ValueError(
            f"{path} has {len(lines)} lines but {other_path} has {len(other_lines)}: "
            "the files of a split hold one sample per line, in the same order"
        )


def encode_lines(lines: List[str], path: str, dictionary: Dictionary, dictionary_path: str) -> List[torch.Tensor]:
    """Each line's space-separated tokens as dictionary indices ``[T_i]``, nothing appended.
    A ValueError names the file and line of an empty line or of a token not in the dictionary."""
    encoded = []
    for number, line in enumerate(lines, start=1):
        tokens = line.split()
        if not tokens:
            raise ValueError(f"{path} line {number} is empty")
        unknown = [token for token in tokens if token not in dictionary.indices]
        if unknown:
            raise ValueError(f"{path} line {number}: token {unknown[0]!r} is not in {dictionary_path}")
        encoded.append(torch.tensor([dictionary.index(token) for token in tokens], dtype=torch.long))
    return encoded
