"""The RL recipes, run as a user would (tiny step counts): memory.sh, atari_smoke.sh, atari.sh."""

import json
import os

import pytest
from recipe_helpers import run_script


@pytest.mark.slow
def test_memory_recipe_trains_evaluates_and_tabulates(tmp_path):
    out = tmp_path / "memory"
    result = run_script("recipes/rl/memory.sh", str(out), "feedforward", "delta_net", TOTAL_STEPS="1280", SEEDS="1 2")
    assert result.returncode == 0, result.stderr[-3000:]
    table = (out / "table.md").read_text().splitlines()
    assert table[0].startswith("| core | runs | greedy success")
    assert [line.split("|")[1:3] for line in table[2:]] == [[" feedforward ", " 2 "], [" delta_net ", " 2 "]]
    assert (out / "learning_curves.png").stat().st_size > 0
    for core in ("feedforward", "delta_net"):
        summary = json.loads((out / core / "seed2" / "eval.json").read_text())
        assert summary["episodes"] == 1000 and summary["steps"] == 1280


@pytest.mark.slow
def test_atari_smoke_recipe(tmp_path):
    result = run_script("recipes/rl/atari_smoke.sh", str(tmp_path / "smoke"), STEPS="200")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "greedy evaluation over 1 games" in result.stdout
    assert (tmp_path / "smoke" / "checkpoint_last.pt").exists()


@pytest.mark.slow
def test_atari_recipe_runs_evaluates_and_collects(tmp_path):
    out = tmp_path / "atari"
    result = run_script(
        "recipes/rl/atari.sh", str(out), "--games", "Pong", "--cores", "feedforward", "--actors", "0",
        "--total-steps", "100", "--episodes", "1", "--", "--envs-per-actor", "2", "--unroll-length", "25",
        "--keep-checkpoints-at", "50",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert os.path.exists(out / "Pong" / "feedforward" / "checkpoint_50.pt")
    table = (out / "table.md").read_text()
    assert "| pong | feedforward | 100 |" in table
    assert "| feedforward | 1 |" in table  # the mean / median human-normalised score over games


def test_atari_recipe_usage_errors(tmp_path):
    result = run_script("recipes/rl/atari.sh", str(tmp_path), "--cores", "delta_net")
    assert result.returncode == 2 and "--games and --cores are required" in result.stderr
    result = run_script("recipes/rl/atari.sh", str(tmp_path), "--gmaes", "Pong")
    assert result.returncode == 2 and "unknown option --gmaes" in result.stderr
    result = run_script("recipes/rl/atari.sh", str(tmp_path), "--cores", "lstm", "--games")
    assert result.returncode == 1 and "error: --games needs a value" in result.stderr
    result = run_script("recipes/rl/atari.sh", str(tmp_path), "--games", "Pong", "--cores", "lstm", "--actors", "-1")
    assert result.returncode == 1 and "error: --actors must be a whole number >= 0" in result.stderr
    assert os.listdir(tmp_path) == []
