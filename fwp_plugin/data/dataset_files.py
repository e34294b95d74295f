"""What the algorithmic data generators share: splits, files, dictionaries, statistics.

A data set is three splits, ``train``, ``valid`` and ``test``. Samples are
drawn one after another from a single random generator and each new sample
goes to the first split that is not yet full; a sample equal to one drawn
before is thrown away, so no sample appears twice, within a split or across
splits. Every split is written as one file per column (``train.src``,
``train.tgt``, ...), one sample per line. Nothing is ever overwritten: the
generators check all their output paths before drawing anything, and files
are opened in exclusive-creation mode.
"""

import argparse
import os
import shlex
import sys
import time
from collections import Counter
from typing import Callable

SPLITS = ("train", "valid", "test")

# A run of this many draws that all repeat earlier samples ends the drawing:
# the settings have (nearly) run out of distinct samples.
MAX_DUPLICATES_IN_A_ROW = 10000
# Drawing that lasts longer than this reports its progress on stderr this often.
PROGRESS_EVERY_SECONDS = 5.0


class GenerationError(ValueError):
    """Settings that cannot produce the requested data; the message says how to fix them."""


def check_split_sizes(sizes):
    """Raise GenerationError unless every split size is a positive integer."""
    for split, size in sizes.items():
        if size < 1:
            raise GenerationError(f"--{split}-size must be at least 1 (got {size})")


def split_file_paths(out_dir, columns):
    """The paths ``OUT/SPLIT.COLUMN`` of every split and column, train first."""
    return [os.path.join(out_dir, f"{split}.{column}") for split in SPLITS for column in columns]


def refuse_existing(paths):
    """Raise GenerationError naming every path in ``paths`` that already exists."""
    existing = [path for path in paths if os.path.exists(path)]
    if existing:
        raise GenerationError(
            "refusing to overwrite existing file(s): " + ", ".join(existing)
            + "; choose another --out directory or remove them"
        )


def draw_unique_samples(draw, sizes, max_duplicates_in_a_row=MAX_DUPLICATES_IN_A_ROW):
    """Fill the splits with distinct samples from ``draw()``.

    ``draw`` returns a hashable sample (here a tuple of output lines; the
    source line determines the others, so whole-sample equality is source
    equality). ``sizes`` maps each split to its size, in filling order.
    Prints the progress to stderr every PROGRESS_EVERY_SECONDS of drawing.
    Returns a dict split -> list of samples. Raises GenerationError when
    ``max_duplicates_in_a_row`` draws in a row repeat earlier samples.
    """
    seen = set()
    splits = {}
    total = sum(sizes.values())
    start = last_report = time.monotonic()
    for split, size in sizes.items():
        samples = []
        duplicates_in_a_row = 0
        while len(samples) < size:
            sample = draw()
            if sample in seen:
                duplicates_in_a_row += 1
                if duplicates_in_a_row >= max_duplicates_in_a_row:
                    raise GenerationError(
                        f"only {len(seen)} distinct samples found ({max_duplicates_in_a_row} draws in a "
                        f"row repeated earlier ones) but {sum(sizes.values())} were requested; these "
                        "settings have too few distinct samples: lower the split sizes or widen the settings"
                    )
                continue
            duplicates_in_a_row = 0
            seen.add(sample)
            samples.append(sample)
            now = time.monotonic()
            if now - last_report >= PROGRESS_EVERY_SECONDS:
                print(f"  drawn {len(seen):,} of {total:,} samples ({now - start:.0f} s)", file=sys.stderr, flush=True)
                last_report = now
        splits[split] = samples
    return splits


def write_lines(path, lines):
    """Write ``lines`` to a new file, one per line; fails if ``path`` exists."""
    with open(path, "x", encoding="utf-8") as file:
        for line in lines:
            file.write(line + "\n")


def write_split_files(out_dir, splits, columns):
    """Write column ``i`` of every sample of every split to ``OUT/SPLIT.COLUMNS[i]``."""
    for split, samples in splits.items():
        for index, column in enumerate(columns):
            write_lines(os.path.join(out_dir, f"{split}.{column}"), (sample[index] for sample in samples))


def count_tokens(lines):
    """Counter of the space-separated tokens of ``lines``."""
    counts = Counter()
    for line in lines:
        counts.update(line.split())
    return counts


def write_dictionary(path, vocabulary, counts):
    """Write a fairseq dictionary: one ``token count`` line per vocabulary token, in vocabulary order.

    The vocabulary is the task's full fixed one, so tokens that happen not
    to occur get count 0 and the token indices do not depend on the seed.
    Raises ValueError if ``counts`` has a token outside the vocabulary.
    """
    unknown = set(counts) - set(vocabulary)
    if unknown:
        raise ValueError(f"tokens outside the vocabulary: {sorted(unknown)}")
    write_lines(path, (f"{token} {counts[token]}" for token in vocabulary))


def settings_command(module, args):
    """The full command line that reproduces ``args`` (every option spelled out)."""
    words = ["python", "-m", module]
    for name, value in vars(args).items():
        words.append("--" + name.replace("_", "-"))
        values = value if isinstance(value, (list, tuple)) else [value]
        words.extend(str(item) for item in values)
    return " ".join(shlex.quote(word) for word in words)


def write_generation_settings(out_dir, module, args):
    """Write ``OUT/generation.txt``: the command line that regenerates the data set."""
    write_lines(os.path.join(out_dir, "generation.txt"), [settings_command(module, args)])


def format_distribution(counts):
    """``value: percent`` for every value of a Counter, in sorted value order."""
    total = sum(counts.values())
    return ", ".join(f"{value}: {100.0 * counts[value] / total:.1f}%" for value in sorted(counts))


def print_statistics(title, rows):
    """Print a title and ``name: value`` rows, indented."""
    print(title)
    for name, value in rows:
        print(f"  {name}: {value}")


def run_command_line(parser: argparse.ArgumentParser, generate: Callable, argv=None) -> None:
    """Parse argv and run generate(args); a GenerationError ends as a usage error naming the problem."""
    args = parser.parse_args(argv)
    try:
        generate(args)
    except GenerationError as error:
        parser.error(str(error))
