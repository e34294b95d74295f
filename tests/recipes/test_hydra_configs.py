"""recipes/hydra: the fairseq-hydra-train configs are the recipes' runs."""

import filecmp
import os

import torch

from recipe_helpers import REPO_ROOT, run_script

HYDRA_CONFIGS = os.path.join(REPO_ROOT, "recipes", "hydra")
SHARED_DATA = os.path.join(os.path.dirname(REPO_ROOT), "shared", "data", "wikitext-2")
# What differs between the two runs by construction: where they write and read.
PATHS = {("task", "data"), ("checkpoint", "save_dir"), ("common", "tensorboard_logdir"), ("common", "user_dir")}
SECTIONS = ("model", "task", "criterion", "optimizer", "lr_scheduler", "optimization", "dataset", "checkpoint",
            "common", "distributed_training")


def test_committed_configs_are_the_ones_the_recipes_write(tmp_path):
    result = run_script(os.path.join(HYDRA_CONFIGS, "write_configs.py"), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    committed = sorted(os.path.relpath(os.path.join(folder, name), HYDRA_CONFIGS)
                       for folder, _, names in os.walk(HYDRA_CONFIGS) for name in names if name.endswith(".yaml"))
    written = sorted(os.path.relpath(os.path.join(folder, name), tmp_path)
                     for folder, _, names in os.walk(tmp_path) for name in names)
    assert committed == written
    _, mismatch, errors = filecmp.cmpfiles(HYDRA_CONFIGS, tmp_path, written, shallow=False)
    assert not mismatch and not errors, f"rerun python recipes/hydra/write_configs.py: {mismatch + errors} differ"


def checkpoint(run_dir):
    return torch.load(os.path.join(run_dir, "checkpoints", "checkpoint_last.pt"), map_location="cpu",
                      weights_only=False)


def test_a_config_trains_what_the_recipe_trains(tmp_path):
    """A full-context RDN, 2 updates: fairseq-hydra-train from wt103_tiny_full.yaml == train.sh."""
    prepared = run_script(os.path.join(REPO_ROOT, "recipes", "prepare_data.sh"), SHARED_DATA, str(tmp_path),
                          TRAIN_LINES="150", EVAL_LINES="60")
    assert prepared.returncode == 0, prepared.stderr[-3000:]
    data = str(tmp_path / "data-bin")
    recipe = run_script(os.path.join(REPO_ROOT, "recipes", "wikitext103", "train.sh"), "--model", "rdn",
                        "--size", "tiny", "--mode", "full", "--gpus", "0", "--data", data,
                        "--out", str(tmp_path / "recipe"), "--max-update", "2")
    assert recipe.returncode == 0, recipe.stderr[-3000:]
    hydra_dir = tmp_path / "hydra"
    hydra_dir.mkdir()
    hydra = run_script(
        "-m", "fairseq_cli.hydra_train", "--config-dir", HYDRA_CONFIGS, "--config-name", "wt103_tiny_full",
        "model=fwp_rdn_tiny", f"task.data={data}", "optimization.max_update=2", "lr_scheduler.warmup_updates=0",
        f"common.user_dir={os.path.join(REPO_ROOT, 'fwp_plugin')}", cwd=str(hydra_dir),
    )
    assert hydra.returncode == 0, hydra.stderr[-3000:]

    from_recipe, from_config = checkpoint(tmp_path / "recipe"), checkpoint(hydra_dir)
    for section in SECTIONS:
        ours, theirs = dict(from_recipe["cfg"][section]), dict(from_config["cfg"][section])
        differing = {key for key in set(ours) | set(theirs)
                     if ours.get(key) != theirs.get(key) and (section, key) not in PATHS}
        assert not differing, f"{section}: {differing}"
    assert from_recipe["cfg"]["model"]["_name"] == "fwp_rdn_tiny"
    assert from_recipe["model"].keys() == from_config["model"].keys()
    for name, weights in from_recipe["model"].items():  # same model, same data, same 2 updates
        assert torch.equal(weights, from_config["model"][name]), name
