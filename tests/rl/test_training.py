"""Training end to end: the memory task needs memory, runs resume, Atari runs through the real ALE,
published sizes, bad input."""

import csv
import json
import os
import subprocess
import sys

import pytest
import torch

from fwp_plugin.rl.agent import ImpalaNet
from fwp_plugin.rl.evaluate import main as evaluate_main
from fwp_plugin.rl.train import train
from rl_helpers import tiny_options

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MEMORY_TASK = ["--envs-per-actor", "32", "--unroll-length", "20", "--learning-rate", "3e-3", "--eval-episodes", "400"]


@pytest.mark.slow
def test_cue_recall_needs_a_memory(tmp_path):
    """Recall one of 4 cues after 4 empty steps: the Delta Net core learns it, the feed-forward
    agent cannot do better than chance (1/4)."""
    delta = train(tiny_options("delta_net", "--total-steps", "150000", *MEMORY_TASK, delay=4, save_dir=tmp_path / "delta"))
    assert delta["mean_return"] >= 0.9
    feedforward = train(
        tiny_options("feedforward", "--total-steps", "50000", *MEMORY_TASK, delay=4, save_dir=tmp_path / "ff")
    )
    assert 0.15 <= feedforward["mean_return"] <= 0.35


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_run_directory_checkpoints_resumes_and_plots(tmp_path):
    flags = ["--checkpoint-every", "48", "--keep-checkpoints-at", "96", "--log-every", "0"]
    train(tiny_options("rdn", "--total-steps", "120", *flags, save_dir=tmp_path))
    first_log = read_rows(tmp_path / "log.csv")
    assert int(first_log[-1]["steps"]) == 120  # 5 updates of 4 environments x 6 steps
    checkpoint = torch.load(tmp_path / "checkpoint_last.pt", weights_only=True)
    assert checkpoint["steps"] == 120
    assert torch.load(tmp_path / "checkpoint_96.pt", weights_only=True)["steps"] == 96
    assert (tmp_path / "learning_curve.png").stat().st_size > 0
    games = read_rows(tmp_path / "returns.csv")
    assert games and {row["return"] for row in games} <= {"0.0", "1.0"}

    # The same command with more steps continues from step 120 with the saved weights.
    summary = train(tiny_options("rdn", "--total-steps", "168", "--eval-episodes", "3", *flags, save_dir=tmp_path))
    log = read_rows(tmp_path / "log.csv")
    assert [int(row["steps"]) for row in log[len(first_log):]] == [144, 168]
    assert summary["steps"] == 168 and summary["episodes"] == 3
    assert json.loads((tmp_path / "eval.json").read_text())["returns"] == summary["returns"]


def test_resume_refuses_a_checkpoint_of_another_core(tmp_path):
    train(tiny_options("delta_net", "--total-steps", "24", save_dir=tmp_path))
    with pytest.raises(ValueError, match="trained with --core delta_net \\(this command: lstm\\)"):
        train(tiny_options("lstm", "--total-steps", "48", save_dir=tmp_path))


def test_evaluate_command_plays_greedy_games(tmp_path, capsys):
    train(tiny_options("linear", "--total-steps", "24", save_dir=tmp_path))  # the old spelling of linear_transformer
    summary = evaluate_main([str(tmp_path / "checkpoint_last.pt"), "--episodes", "5", "--num-envs", "2",
                             "--output", str(tmp_path / "greedy.json")])
    assert summary["episodes"] == 5 and summary["steps"] == 24
    assert "linear_transformer on cue_recall, 5 games: mean return" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="no checkpoint at .*missing.pt"):
        evaluate_main([str(tmp_path / "missing.pt")])


def test_two_actor_processes(tmp_path):
    """TorchRL's multi-process collector: synchronous actors give one [2 x 4, 6] batch per update."""
    summary = train(tiny_options("delta_net", "--total-steps", "96", "--num-actors", "2", "--sync-actors", "--log-every", "0",
                                 "--eval-episodes", "2", save_dir=tmp_path))
    assert summary["steps"] == 96
    assert [int(row["steps"]) for row in read_rows(tmp_path / "log.csv")] == [48, 96]


@pytest.mark.slow
def test_atari_smoke_runs_the_real_ale(tmp_path):
    """A few updates on Pong with the ResNet torso, then one whole greedy game."""
    summary = train(tiny_options("delta_net", "--total-steps", "40", "--eval-episodes", "1", "--envs-per-actor", "2",
                                 "--unroll-length", "10", env="PongNoFrameskip-v4", save_dir=tmp_path))
    assert summary["episodes"] == 1
    assert -21 <= summary["returns"][0] <= 21


@pytest.mark.parametrize(
    "core, core_parameters",
    # The authors' modules (IDSIA/recurrent-fwp, reinforcement_learning/torchbeast/layer.py, model.py and
    # polybeast_learner.py), counted from their definitions: torso 1,089,232 for every agent.
    [("linear_transformer", 428_544), ("delta_net", 429_568), ("rdn", 454_400), ("delta_rnn", 496_128), ("lstm", 527_360),
     ("feedforward", 0)],
)
def test_paper_network_sizes(core, core_parameters):
    net = ImpalaNet((4, 84, 84), 8, core)
    count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
    assert count(net.torso) == 1_089_232
    assert count(net.core) == core_parameters
    assert count(net.policy) == 8 * (net.core.output_dim + 1)  # heads read 128 (fast weights), 256 (LSTM), 257


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "fwp_plugin.rl.train", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, env=dict(os.environ, OMP_NUM_THREADS="1"))


def test_cli_names_bad_input(tmp_path):
    unknown_game = run_cli("--env", "Pongg", "--core", "delta_net", "--save-dir", str(tmp_path / "a"))
    assert unknown_game.returncode != 0
    assert "unknown environment 'Pongg'" in unknown_game.stderr and "pong" in unknown_game.stderr
    unknown_core = run_cli("--env", "cue_recall", "--core", "gru", "--save-dir", str(tmp_path / "b"))
    assert unknown_core.returncode != 0 and "invalid choice: 'gru'" in unknown_core.stderr


def test_fairseq_entry_point_does_not_import_rl():
    """fairseq imports the user-dir package; the RL engine stays out of it."""
    code = "import fwp_plugin, sys; print(any(m.startswith(('torchrl', 'ale_py', 'fwp_plugin.rl')) for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.stdout.strip() == "False", result.stderr


def test_gym_names_map_to_ale_roms():
    from fwp_plugin.rl.atari_scores import RANDOM_AND_HUMAN_SCORES, human_normalised
    from fwp_plugin.rl.envs import ale_game_name

    for rom in RANDOM_AND_HUMAN_SCORES:  # every game with reference scores, as NoFrameskip-v4 id and as ROM name
        gym_id = "".join(part.capitalize() for part in rom.split("_")) + "NoFrameskip-v4"
        assert ale_game_name(gym_id) == rom and ale_game_name(rom) == rom
    assert ale_game_name("UpNDownNoFrameskip-v4") == "up_n_down"
    assert human_normalised("pong", 14.6) == pytest.approx(1.0)
    assert human_normalised("pong", -20.7) == pytest.approx(0.0)
