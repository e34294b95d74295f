"""benchmarks/gpu_suite.py without a GPU: its help, its refusal without CUDA, and --smoke (every code path
of the suite at tiny sizes on CPU under the Triton interpreter)."""

import os
import re
import subprocess
import sys
from pathlib import Path

from command_env import COMMAND_ENV

REPOSITORY = Path(__file__).resolve().parents[2]


def run_without_cuda(command, **environment: str) -> subprocess.CompletedProcess:
    """``command`` from the repository root with no CUDA device (even on a GPU machine), no TRITON_INTERPRET
    (--smoke must switch the interpreter on itself) and this interpreter first on the PATH."""
    environment = {**COMMAND_ENV, "CUDA_VISIBLE_DEVICES": "", **environment}
    environment.pop("TRITON_INTERPRET", None)
    return subprocess.run(command, cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=600)


def run_gpu_suite(*args: str) -> subprocess.CompletedProcess:
    return run_without_cuda([sys.executable, "-m", "benchmarks.gpu_suite", *args])


def test_help():
    result = run_gpu_suite("--help")
    assert result.returncode == 0, result.stderr
    assert "The GPU suite" in result.stdout and "--no-results-file" in result.stdout and "--smoke" in result.stdout


def test_refuses_to_run_without_cuda():
    results = REPOSITORY / "benchmarks" / "RESULTS.md"
    before = results.read_text()
    result = run_gpu_suite("--T", "512")
    assert result.returncode == 1
    assert "gpu_suite needs a CUDA GPU" in result.stderr and "--smoke" in result.stderr
    assert results.read_text() == before


def test_smoke_runs_every_section_and_writes_nothing():
    results = REPOSITORY / "benchmarks" / "RESULTS.md"
    before = results.read_text()
    result = run_gpu_suite("--smoke")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = result.stdout
    for op in ("linear_attention", "delta_rule", "delta_rnn", "delta_lstm", "recurrent_delta_rule"):
        for dtype, dim in (("bfloat16", 16), ("bfloat16", 48), ("float32", 16)):
            assert re.search(rf"^\| {op} \| {dtype} \| {dim} \| 20 \| fwd\+bwd \| .* \| pass \|$", rows, re.M), op
    assert re.search(r"^\| delta_rule \| bfloat16 \| 48 \| 7 \| fwd, no grad \| .* \| pass \|$", rows, re.M)
    for name in ("linear_attention", "delta_rule", "delta_rule token by token"):
        assert re.search(rf"^\| {name} \| 48 \| 32 \| fwd \| [0-9.]+ \|", rows, re.M), name
    for op in ("delta_rnn", "delta_lstm", "recurrent_delta_rule"):
        assert re.search(rf"^\| {op} \| 16 \| 8 \| fwd\+bwd \| [0-9.]+ \| [0-9.]+ \| [0-9.]+x \|$", rows, re.M), op
    for model in ("transformer", "linear_transformer", "delta_net", "delta_rnn", "delta_lstm", "rdn"):
        assert re.search(
            rf"^\| {model} \| \w+_wt103_small \| [0-9]+ \| n/a \| [0-9.]+ \|.*\| pass \|$", rows, re.M
        ), model
    assert re.search(r"^\| delta_rnn, fairseq-eval-lm \(carried state\) \| .* \| ppl [0-9.]+ \|", rows, re.M)
    assert "FAIL" not in rows and "The suite took" in rows
    assert results.read_text() == before


def test_no_measurement_starts_past_the_time_budget():
    """With the budget spent at once, every measurement row says SKIP, and the suite still reports and succeeds."""
    result = run_gpu_suite("--smoke", "--time-budget", "0")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = result.stdout
    assert re.search(
        r"^\| delta_rnn \| bfloat16 \| 16 \| 20 \| fwd\+bwd \| skipped: past the suite's time budget \| \| SKIP \|$",
        rows,
        re.M,
    )
    assert re.search(r"^\| delta_rule \| 16 \| 32 \| fwd\+bwd \| skipped: past the suite's time budget \|", rows, re.M)
    assert re.search(r"^\| rdn \| fwp_rdn_wt103_small \| skipped: past the time budget \|", rows, re.M)
    assert re.search(
        r"^\| recurrent_delta_rule \| 16 \| 8 \| fwd \| skipped: past the suite's time budget \|", rows, re.M
    )
    assert "| pass |" not in rows and "FAIL" not in rows and "The suite took" in rows


def run_device_script(*args: str, **environment: str) -> subprocess.CompletedProcess:
    """benchmarks/device_suite.sh with this interpreter as python3 and no wheels to install."""
    return run_without_cuda(["bash", "benchmarks/device_suite.sh", *args], DEVICE_WHEELS="/nonexistent", **environment)


def test_device_script_usage_and_missing_out():
    result = run_device_script()
    assert result.returncode == 2 and "bash benchmarks/device_suite.sh download" in result.stderr
    environment = {key: value for key, value in os.environ.items() if key != "OUT"}
    result = subprocess.run(
        ["bash", "benchmarks/device_suite.sh", "run"], cwd=REPOSITORY, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 2 and "OUT is not set" in result.stderr


def test_device_script_runs_the_suite_and_brings_back_its_files(tmp_path):
    result = run_device_script("run", "--smoke", "--time-budget", "0", OUT=str(tmp_path))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = (tmp_path / "gpu_suite.log").read_text()
    assert "The suite took" in log and "skipped: past the suite's time budget" in log
    assert (tmp_path / "RESULTS.md").read_text() == (REPOSITORY / "benchmarks" / "RESULTS.md").read_text()
    assert not (REPOSITORY / "fwp_kernels").exists()  # the package is installed: nothing linked
