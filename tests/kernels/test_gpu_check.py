"""benchmarks/gpu_check.py: the parts that run without a GPU (its help, its refusal without CUDA)."""

import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def run_gpu_check(*args: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}  # no CUDA device, even on a GPU machine
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.gpu_check", *args],
        cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=120,
    )


def test_help():
    result = run_gpu_check("--help")
    assert result.returncode == 0, result.stderr
    assert "Check and time the Triton backend" in result.stdout and "--no-results-file" in result.stdout


def test_refuses_to_run_without_cuda():
    results = REPOSITORY / "benchmarks" / "RESULTS.md"
    before = results.read_text()
    result = run_gpu_check("--T", "512")
    assert result.returncode == 1
    assert "gpu_check needs a CUDA GPU" in result.stderr
    assert results.read_text() == before
