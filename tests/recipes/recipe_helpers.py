"""What the recipe tests share: paths and running a recipe script like a user would."""

import os
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECIPES = os.path.join(REPO_ROOT, "recipes")


def run_script(*args, **env):
    """Run a recipe (a .sh with bash; a .py or "-m module" with this Python) with the venv's
    commands on PATH, from the repository root; returns the CompletedProcess."""
    environment = dict(os.environ, OMP_NUM_THREADS="1", **env)
    environment["PATH"] = os.path.dirname(sys.executable) + os.pathsep + environment["PATH"]
    command = [sys.executable, *args] if args[0].endswith(".py") or args[0] == "-m" else ["bash", *args]
    return subprocess.run(command, capture_output=True, text=True, env=environment, cwd=REPO_ROOT)
