"""The generators' command lines are light: no fairseq import, no warnings, --help at once."""

import os
import subprocess
import sys
import time

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("generator", ["code_execution", "listops", "published_datasets"])
def test_help_imports_no_fairseq_and_warns_nothing(generator):
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-W", "error", "-m", f"fwp_plugin.data.{generator}", "--help"],
        capture_output=True, text=True, cwd=REPO_ROOT,
    )
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith(f"usage: python -m fwp_plugin.data.{generator}")
    imported = [line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert not [name for name in imported if name.split(".")[0] in ("fairseq", "torch")]
    assert "Warning" not in result.stderr and "tensorboardX" not in result.stderr
    assert elapsed < 2.0  # about 0.05 s here; generous for a busy machine


def test_long_drawing_reports_progress(monkeypatch, capsys):
    from fwp_plugin.data import dataset_files

    monkeypatch.setattr(dataset_files, "PROGRESS_EVERY_SECONDS", 0.0)
    counter = iter(range(10**6))
    splits = dataset_files.draw_unique_samples(lambda: next(counter), {"train": 3, "valid": 1, "test": 1})
    assert [len(samples) for samples in splits.values()] == [3, 1, 1]
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("  drawn 1 of 5 samples (") and lines[-1].startswith("  drawn 5 of 5 samples (")
