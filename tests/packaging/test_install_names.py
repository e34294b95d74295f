"""What the package installs: the kernels/ folder as fwp_kernels, beside Hugging Face's `kernels`."""

import configparser
import os
import shutil
import subprocess
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def import_name(folder: str) -> str:
    """A package folder (relative, with /) as its installed import name."""
    name = folder.replace("/", ".")
    return "fwp_kernels" + name[len("kernels"):] if name.split(".")[0] == "kernels" else name


def test_setup_lists_every_package_folder():
    config = configparser.ConfigParser()
    config.read(os.path.join(REPO_ROOT, "setup.cfg"))
    listed = set(config["options"]["packages"].split())
    folders = {
        import_name(os.path.relpath(root, REPO_ROOT))
        for top in ("fwp_plugin", "kernels")
        for root, _, files in os.walk(os.path.join(REPO_ROOT, top))
        if "__init__.py" in files
    }
    assert listed == folders


@pytest.mark.slow
def test_installs_beside_hugging_face_kernels(tmp_path):
    """Install ours (not editable) and Hugging Face's `kernels` into one folder: neither overwrites
    the other, and one interpreter imports both."""
    source = tmp_path / "source"  # a copy, so that building leaves nothing in the checkout
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(os.path.join(REPO_ROOT, name), source / name)
    for folder in ("kernels", "fwp_plugin"):
        shutil.copytree(os.path.join(REPO_ROOT, folder), source / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(site)]
    subprocess.run([*pip, "--no-deps", "--no-build-isolation", str(source)], check=True, cwd=tmp_path)
    subprocess.run([*pip, "--upgrade", "kernels==0.17.2"], check=True, cwd=tmp_path)
    assert (site / "fwp_kernels" / "api.py").exists() and (site / "kernels" / "layer").is_dir()
    code = (
        "import kernels, fwp_kernels\n"
        "print(kernels.__file__)\nprint(fwp_kernels.__file__)\n"
        "print(callable(kernels.get_kernel), callable(fwp_kernels.delta_rule))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                            env=dict(os.environ, PYTHONPATH=str(site)))
    assert result.returncode == 0, result.stderr[-2000:]
    hugging_face, ours, callables = result.stdout.split("\n")[:3]
    assert hugging_face == str(site / "kernels" / "__init__.py")
    assert ours == str(site / "fwp_kernels" / "__init__.py")
    assert callables == "True True"
