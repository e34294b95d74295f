"""What the algorithmic data generators share: splits, files, dictionaries, statistics.

A data set is three splits, ``train``, ``valid`` and ``test``. Samples are
drawn one after another from a single random generator and each new sample
goes to the first split that is not yet full; a sample equal to one drawn
before is thrown away, so no sample appears twice, within a split or across
splits. Every split is written as one file per column (``train.src``,
``train.tgt``, ...), one sample per line. Nothing is ever overwritten: the
generators check all their output paths before drawing anything, and files
are opened in exclusive-creation mode.

A data set appears whole or not at all (``output_directory``): the files are
written into a temporary directory, ``OUT.partial-HOST-PID-XXXXXXXX`` next to
``--out`` (or ``.partial-HOST-PID-XXXXXXXX`` inside an ``--out`` directory that
already exists), which becomes ``--out`` (or whose files move into it) only
once every file is complete. An error, Ctrl-C or SIGTERM removes it; one left
by a killed run (its process gone) is removed by the next run with the same
``--out`` on the same host.
"""

import argparse
import contextlib
import errno
import os
import re
import shlex
import shutil
import signal
import sys
import threading
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


def split_file_names(columns):
    """The names ``SPLIT.COLUMN`` of every split and column, train first."""
    return [f"{split}.{column}" for split in SPLITS for column in columns]


def split_file_paths(out_dir, columns):
    """The paths ``OUT/SPLIT.COLUMN`` of every split and column, train first."""
    return [os.path.join(out_dir, name) for name in split_file_names(columns)]


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


# --- the output directory ----------------------------------------------------

PARTIAL = ".partial-"


def host_tag():
    """This machine's name as it appears in partial-directory names (letters, digits, ``.`` and ``_``)."""
    return re.sub(r"[^A-Za-z0-9.]", "_", os.uname().nodename) or "host"


def partial_name_pattern(prefix):
    """The names of the partial directories of ``prefix`` (``--out``'s name, or "" inside ``--out``)."""
    return re.compile(re.escape(prefix + PARTIAL) + r"(?P<host>[A-Za-z0-9._]+)-(?P<pid>[0-9]+)-[0-9a-f]+")


def process_alive(pid):
    """Whether process ``pid`` exists on this machine (this process counts as alive)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: another user's process
        return True
    return True


def remove_stale_partials(directory, prefix):
    """Remove the partial directories of ``prefix`` in ``directory`` left by dead processes of this host."""
    pattern, host = partial_name_pattern(prefix), host_tag()
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        path = os.path.join(directory, name)
        if (not match or match["host"] != host or process_alive(int(match["pid"]))
                or os.path.islink(path) or not os.path.isdir(path)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.lexists(path):
            print(f"removed {path}, left unfinished by an interrupted run", file=sys.stderr)


def make_partial_directory(directory, prefix):
    """Create and return a new empty partial directory of ``prefix`` in ``directory`` (mode from the umask)."""
    stem = f"{prefix}{PARTIAL}{host_tag()}-{os.getpid()}-"
    for _ in range(100):
        path = os.path.join(directory, stem + os.urandom(4).hex())
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(errno.EEXIST, "no free partial-directory name", os.path.join(directory, stem + "*"))


def write_error(problem, path, error):
    """A GenerationError: ``problem`` (text), the OSError's cause, and a fix involving ``path``."""
    reason = error.strerror or str(error)
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = f"make {path} writable, or choose an --out in a writable directory"
    elif error.errno in (errno.ENOTDIR, errno.EEXIST):
        fix = f"a part of {path} is a file, not a directory: choose another --out"
    elif error.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "free some space, or choose an --out on another disk"
    else:
        fix = "choose another --out"
    return GenerationError(f"{problem} ({reason}); {fix}")


def check_output_directory(out, names):
    """Raise GenerationError unless ``out`` can receive the files ``names``; return whether it exists.

    ``out`` may be missing (it is created) or a directory holding none of ``names``.
    """
    if not out:
        raise GenerationError("--out is empty; give the directory to write the data set to")
    path = os.path.abspath(out)  # without a trailing slash, so that a file is seen as one
    if os.path.lexists(path) and not os.path.isdir(path):
        kind = "a symbolic link to nothing" if not os.path.exists(path) else "a file, not a directory"
        raise GenerationError(
            f"--out {out} is {kind}; give a directory that does not exist yet (it is created) "
            f"or an existing directory, or move {out} out of the way"
        )
    if os.path.isdir(path):
        refuse_existing([os.path.join(out, name) for name in names])
        return True
    return False


def move_without_overwriting(source, destination):
    """Move file ``source`` to ``destination``; FileExistsError if ``destination`` exists."""
    try:
        os.link(source, destination)
    except FileExistsError:
        raise
    except OSError:  # no hard links on this file system
        if os.path.lexists(destination):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), destination) from None
        os.rename(source, destination)
        return
    os.unlink(source)


@contextlib.contextmanager
def output_directory(out, names):
    """Yield a new empty directory to write the files ``names`` into; they reach ``out`` only all together.

    Checks ``out`` first (GenerationError when it is a file, holds one of
    ``names`` or cannot be written), so call it before drawing anything. When
    the block ends normally, the directory is renamed to ``out`` or, when
    ``out`` already exists, its files are moved into ``out`` in the order of
    ``names`` (put the last written file last). When the block raises (or
    Ctrl-C interrupts it) the directory is removed and nothing reaches
    ``out``. An OSError becomes a GenerationError naming the path and a fix.
    """
    out_exists = check_output_directory(out, names)
    if out_exists:
        home, prefix = out, ""
    else:
        home, prefix = os.path.split(os.path.abspath(out))
        try:
            os.makedirs(home, exist_ok=True)
        except OSError as error:
            raise write_error(f"cannot create {home} to hold --out {out}", home, error) from error
    remove_stale_partials(home, prefix)
    try:
        partial = make_partial_directory(home, prefix)
    except OSError as error:
        raise write_error(f"cannot write --out {out}: cannot create a directory in {home}", home, error) from error
    moved = []
    try:
        yield partial
        if out_exists:
            for name in names:
                move_without_overwriting(os.path.join(partial, name), os.path.join(out, name))
                moved.append(os.path.join(out, name))
            os.rmdir(partial)
        else:
            try:
                os.rename(partial, out)
            except OSError as error:
                raise GenerationError(
                    f"--out {out} appeared while generating (another run?) and was left as it is; "
                    f"nothing was written ({error.strerror}): choose another --out or remove it"
                ) from error
    except BaseException as error:
        for path in moved:
            with contextlib.suppress(OSError):
                os.unlink(path)
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(error, FileExistsError):
            raise GenerationError(
                f"refusing to overwrite {error.filename or out}, which appeared while generating; "
                "nothing was written: choose another --out directory or remove it"
            ) from error
        if isinstance(error, OSError):
            raise write_error(f"cannot write the data set to {out} (nothing was kept)", out, error) from error
        raise


# --- command line ------------------------------------------------------------


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that unfinished output is removed."""


def raise_terminated(signum, frame):
    """SIGTERM handler: raise Terminated."""
    raise Terminated()


def run_command_line(parser: argparse.ArgumentParser, generate: Callable, argv=None) -> None:
    """Parse argv and run generate(args); a GenerationError ends as a usage error naming the problem.

    Ctrl-C and SIGTERM end the run with exit status 130 / 143 and a one-line
    message (the unfinished output has been removed), not a traceback.
    """
    args = parser.parse_args(argv)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, raise_terminated) if in_main_thread else None
    try:
        generate(args)
    except GenerationError as error:
        parser.error(str(error))
    except KeyboardInterrupt as error:
        name = "SIGTERM" if isinstance(error, Terminated) else "interrupted (SIGINT)"
        print(f"{parser.prog}: {name}; unfinished data is never kept under --out, so running the same "
              "command again starts afresh", file=sys.stderr)
        sys.exit(128 + (signal.SIGTERM if isinstance(error, Terminated) else signal.SIGINT))
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
