"""Importing the plugin lets torch >= 2.6 load checkpoints that hold a Namespace and numpy scalars,
gives options added since a checkpoint was written their defaults, and makes loading a checkpoint
refuse a --task it would ignore."""

import argparse
import io
import sys

import numpy
import pytest
import torch
from fairseq_cli import train, validate
from omegaconf import OmegaConf

from fwp_plugin.checkpoint_compat import (
    allow_fairseq_checkpoint_globals,
    fairseq_checkpoint_globals,
    ignored_task_problem,
)

from algorithmic_helpers import write_code_execution_data, write_listops_data
from plugin_helpers import PLUGIN_DIR


@pytest.fixture
def old_style_checkpoint(tmp_path):
    path = tmp_path / "old_checkpoint.pt"
    torch.save(
        {"args": argparse.Namespace(arch="fwp_delta_net_tiny", lr=[0.001]),
         "model": {"w": torch.ones(2)},
         "extra_state": {"best": numpy.float64(3.5), "steps": numpy.int64(7)}},
        path,
    )
    return path


def test_importing_the_plugin_allow_lists_the_classes():
    assert set(fairseq_checkpoint_globals()) <= set(torch.serialization.get_safe_globals())


def test_old_style_checkpoint_loads_the_way_fairseq_loads_it(old_style_checkpoint):
    torch.serialization.clear_safe_globals()
    try:
        with pytest.raises(Exception, match="Unsupported global"):
            torch.load(old_style_checkpoint, map_location="cpu")  # fairseq's call
        allow_fairseq_checkpoint_globals()
        state = torch.load(old_style_checkpoint, map_location="cpu")
    finally:
        allow_fairseq_checkpoint_globals()
    assert state["args"].arch == "fwp_delta_net_tiny"
    assert state["extra_state"] == {"best": 3.5, "steps": 7}
    assert torch.equal(state["model"]["w"], torch.ones(2))


def test_a_task_the_checkpoint_loader_would_ignore():
    state = {"args": None, "cfg": OmegaConf.create({"task": {"_name": "listops", "data": "d"}})}
    assert ignored_task_problem("c.pt", state, {"task": "code_execution"}) == (
        "--task code_execution: c.pt was trained with --task listops, and fairseq evaluates a checkpoint with "
        "the task it was trained with whatever --task says (it would read this data as listops data); "
        "pass --task listops, or a checkpoint trained with --task code_execution")
    assert ignored_task_problem("c.pt", state, {"task": "listops"}) == ""
    assert ignored_task_problem("c.pt", state, {"data": "d"}) == ""  # no --task given
    assert ignored_task_problem("c.pt", state, None) == ""
    # A checkpoint of fairseq < 0.10 keeps a Namespace, and there the override does replace the task.
    assert ignored_task_problem("c.pt", {**state, "args": argparse.Namespace(task="listops")},
                                {"task": "code_execution"}) == ""


def run_cli(entry_point, argv, monkeypatch):
    monkeypatch.setattr(sys, "argv", argv)
    monkeypatch.setattr(validate, "reset_logging", lambda: None)  # keep pytest's log capture
    entry_point.cli_main()


def test_validate_refuses_a_checkpoint_of_another_task(tmp_path, monkeypatch):
    """fairseq-validate built the listops checkpoint's task over the code_execution data, whatever
    --task said, and failed on the dictionary sizes."""
    listops = write_listops_data(tmp_path / "listops", lines=8)
    code = write_code_execution_data(tmp_path / "code", lines=8)
    run_cli(train, ["fairseq-train", str(listops), "--user-dir", PLUGIN_DIR, "--task", "listops",
                    "--criterion", "listops_accuracy", "--arch", "fwp_delta_net_algorithmic_tiny",
                    "--optimizer", "adam", "--lr", "1e-3", "--batch-size", "8", "--max-update", "1", "--cpu",
                    "--num-workers", "0", "--disable-validation", "--save-dir", str(tmp_path / "run"),
                    "--no-epoch-checkpoints"], monkeypatch)
    checkpoint = tmp_path / "run" / "checkpoint_last.pt"
    with pytest.raises(ValueError, match=f"--task code_execution: {checkpoint} was trained with --task listops, "
                       ".* pass --task listops, or a checkpoint trained with --task code_execution"):
        run_cli(validate, ["fairseq-validate", str(code), "--user-dir", PLUGIN_DIR, "--task", "code_execution",
                           "--path", str(checkpoint), "--batch-size", "8", "--cpu", "--num-workers", "0"],
                monkeypatch)


def test_a_checkpoint_from_before_an_option_keeps_its_behaviour(tmp_path):
    """Options added since (sumnorm_eps, weight_init, dropout_before_output) take their defaults,
    the behaviour the checkpoint was trained with, not the values its architecture sets now."""
    from fairseq import checkpoint_utils, options, tasks
    from fairseq.dataclass.utils import convert_namespace_to_omegaconf

    (tmp_path / "dict.txt").write_text("".join(f"w{i} 1\n" for i in range(20)))
    args = options.parse_args_and_arch(options.get_training_parser(), [
        str(tmp_path), "--task", "language_modeling", "--user-dir", PLUGIN_DIR, "--arch", "fwp_delta_net_tiny"])
    cfg = convert_namespace_to_omegaconf(args)
    task = tasks.setup_task(cfg.task)
    weights = task.build_model(cfg.model).state_dict()
    saved = OmegaConf.to_container(cfg)
    assert saved["model"]["sumnorm_eps"] == 0.0  # what the architecture sets today
    for new_option in ("sumnorm_eps", "dropout_before_output", "weight_init", "carried_state_decay"):
        del saved["model"][new_option]
    history = [{"criterion_name": "CrossEntropyCriterion", "best_loss": None, "optimizer_name": "Adam",
                "lr_scheduler_state": {}, "num_updates": 1}]
    torch.save({"cfg": saved, "model": weights, "optimizer_history": history, "extra_state": {}},
               tmp_path / "old.pt")

    # What a data-parallel resume sends from the first worker to the others (broadcast_object):
    state = checkpoint_utils.load_checkpoint_to_cpu(str(tmp_path / "old.pt"))
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    assert torch.load(buffer, map_location="cpu")["cfg"].model._name == "fwp_delta_net_tiny"  # weights_only

    (loaded,), loaded_cfg, _ = checkpoint_utils.load_model_ensemble_and_task([str(tmp_path / "old.pt")])
    assert loaded_cfg.model.sumnorm_eps == 1e-6 and loaded.decoder.layers[0].fast_weight.feature_map.sumnorm_eps == 1e-6
    assert loaded_cfg.model.weight_init == "default" and not loaded.decoder.dropout_before_output
    assert loaded.decoder.carried_state_decay == 1

    # --model-overrides gives an option the checkpoint lacks (fairseq alone would drop it: it overrides only
    # the options a checkpoint has)
    (overridden,), overridden_cfg, _ = checkpoint_utils.load_model_ensemble_and_task(
        [str(tmp_path / "old.pt")], arg_overrides={"carried_state_decay": 0.5, "sumnorm_eps": 1e-3})
    assert overridden.decoder.carried_state_decay == 0.5 and overridden_cfg.model.sumnorm_eps == 1e-3
