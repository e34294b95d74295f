"""What the recipe tests share: paths, running a recipe script like a user would, loading a recipe's
Python script as a module, reading TensorBoard event files and checking a PNG."""

import glob
import importlib.util
import os
import struct
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECIPES = os.path.join(REPO_ROOT, "recipes")


def run_script(*args, cwd=REPO_ROOT, **env):
    """Run a recipe (a .sh with bash; a .py or "-m module" with this Python) with the venv's
    commands on PATH, from ``cwd`` (the repository root); returns the CompletedProcess."""
    environment = dict(os.environ, OMP_NUM_THREADS="1", **env)
    environment["PATH"] = os.path.dirname(sys.executable) + os.pathsep + environment["PATH"]
    command = [sys.executable, *args] if args[0].endswith(".py") or args[0] == "-m" else ["bash", *args]
    return subprocess.run(command, capture_output=True, text=True, env=environment, cwd=cwd)


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
