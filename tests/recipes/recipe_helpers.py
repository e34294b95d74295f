"""What the recipe tests share: paths, running a recipe script like a user would, stand-in commands
and held locks for the recipes' failure paths, loading a recipe's Python script as a module, reading
TensorBoard event files and checking a PNG."""

import contextlib
import fcntl
import glob
import importlib.util
import os
import struct
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECIPES = os.path.join(REPO_ROOT, "recipes")
SHARED_DATA = os.path.join(os.path.dirname(REPO_ROOT), "shared", "data", "wikitext-2")


def run_script(*args, cwd=REPO_ROOT, path_first=(), **env):
    """Run a recipe (a .sh with bash; a .py or "-m module" with this Python) with the venv's
    commands on PATH, after the folders of ``path_first`` (stand-in commands), from ``cwd`` (the
    repository root); returns the CompletedProcess."""
    environment = dict(os.environ, OMP_NUM_THREADS="1", **env)
    environment["PATH"] = os.pathsep.join([*map(str, path_first), os.path.dirname(sys.executable),
                                           environment["PATH"]])
    command = [sys.executable, *args] if args[0].endswith(".py") or args[0] == "-m" else ["bash", *args]
    return subprocess.run(command, capture_output=True, text=True, env=environment, cwd=cwd)


def stand_in(folder, name, script):
    """Write an executable bash script ``folder/name`` (a stand-in for a command such as
    fairseq-preprocess, put first on PATH with run_script's path_first); returns ``folder``."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    with open(path, "w") as handle:
        handle.write("#!/usr/bin/env bash\n" + script)
    os.chmod(path, 0o755)
    return folder


@contextlib.contextmanager
def held_lock(path):
    """Hold an exclusive flock on ``path`` for the block, as a recipe running there does."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def indexed_lines(path):
    """The number of sentences (lines of text) in a fairseq mmap ``.idx`` file."""
    with open(path, "rb") as handle:
        header = handle.read(26)
    assert header[:9] == b"MMIDIDX\x00\x00", path
    return struct.unpack("<Q", header[18:26])[0]


def load_script(path):
    """A recipe's .py script imported as a module (its functions, without running main)."""
    spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_tensorboard_scalars(directory, tag):
    """(step, value) of every scalar `tag` in the TensorBoard event files of directory, as written.
    An event file is a sequence of records: 8-byte length, 4-byte CRC, an Event message, 4-byte CRC."""
    from tensorboardX.proto.event_pb2 import Event

    scalars = []
    for path in sorted(glob.glob(os.path.join(directory, "events.out.tfevents.*"))):
        with open(path, "rb") as handle:
            data = handle.read()
        offset = 0
        while offset < len(data):
            (length,) = struct.unpack("<Q", data[offset:offset + 8])
            event = Event.FromString(data[offset + 12:offset + 12 + length])
            scalars += [(event.step, value.simple_value) for value in event.summary.value if value.tag == tag]
            offset += 12 + length + 4
    return scalars


def assert_png(path, min_height=200, min_width=300):
    """path is a PNG that matplotlib reads back as an RGB(A) image of at least the given size."""
    import matplotlib.image

    with open(path, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    assert image.shape[0] >= min_height and image.shape[1] >= min_width
