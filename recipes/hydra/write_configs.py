"""Write the fairseq-hydra-train configs of recipes/hydra from the recipes themselves.

    python recipes/hydra/write_configs.py [--out recipes/hydra]

Each run config (``wt103_small.yaml``, ..., ``code_execution.yaml``) holds what the
recipe's ``--dry-run`` command passes to fairseq-train (``RUNS`` below), each model
config (``model/ARCH.yaml``) what ``--arch ARCH`` sets: in both, only the values that
differ from fairseq's defaults, with the paths left to the user (``task.data``) or
made relative (``checkpoints``, ``tensorboard``, ``fwp_plugin``). A test regenerates
them and compares, so they cannot drift from the recipes.
"""

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from typing import Dict, List

from fairseq import options
from fairseq.dataclass.configs import FairseqConfig
from fairseq.dataclass.utils import convert_namespace_to_omegaconf
from fairseq.models import ARCH_MODEL_NAME_REGISTRY, MODEL_DATACLASS_REGISTRY
from fairseq.registry import REGISTRIES
from fairseq.tasks import TASK_DATACLASS_REGISTRY
from omegaconf import OmegaConf

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, REPO_ROOT)
from fwp_plugin.model_names import ARCHITECTURES  # noqa: E402

# config name -> (the recipe's command, without --out/--data; what the run is)
RUNS: Dict[str, tuple] = {
    "wt103_small": ("recipes/wikitext103/train.sh --model delta_net --size small --gpus 1",
                    "paper small WikiText-103 language model, truncated context, 1 GPU"),
    "wt103_small_full": ("recipes/wikitext103/train.sh --model delta_net --size small --mode full --gpus 1",
                         "paper small WikiText-103 language model, full context (carried state), 1 GPU"),
    "wt103_medium": ("recipes/wikitext103/train.sh --model delta_net --size medium --gpus 1",
                     "paper medium WikiText-103 language model, truncated context, 1 GPU"),
    "wt103_medium_full": ("recipes/wikitext103/train.sh --model delta_net --size medium --mode full --gpus 1",
                          "paper medium WikiText-103 language model, full context (carried state), 1 GPU"),
    "wt103_tiny": ("recipes/wikitext103/train.sh --model delta_net --size tiny --gpus 0",
                   "CPU-sized language model (tests, quick runs), truncated context"),
    "wt103_tiny_full": ("recipes/wikitext103/train.sh --model delta_net --size tiny --mode full --gpus 0",
                        "CPU-sized language model (tests, quick runs), full context"),
    "code_execution": ("recipes/code_execution/run.sh --model delta_net",
                       "paper code execution (5 variables); the data from python -m fwp_plugin.data.code_execution"),
    "listops": ("recipes/listops/run.sh --model delta_net",
                "paper sequential ListOps; the data from python -m fwp_plugin.data.listops"),
}
SECTIONS = ("common", "distributed_training", "dataset", "optimization", "checkpoint",
            "task", "criterion", "optimizer", "lr_scheduler")
# Values that are paths on the machine that wrote the configs -> what the configs hold.
PLACEHOLDER_DATA = "DATA_DIR"
PLACEHOLDER_OUT = "RUN_DIR"


def dry_run_command(recipe_command: str, data_dir: str) -> List[str]:
    """The fairseq-train arguments the recipe would run (its --dry-run output), without the program."""
    output = subprocess.run(
        ["bash", *shlex.split(recipe_command), "--data", data_dir, "--out", PLACEHOLDER_OUT, "--dry-run"],
        capture_output=True, text=True, check=True, cwd=REPO_ROOT,
    ).stdout
    program, *arguments = shlex.split(output)
    assert program == "fairseq-train", output
    return arguments


def default_values(section: str, name) -> dict:
    """fairseq's defaults of one section (for task/criterion/optimizer/lr_scheduler/model: of ``name``'s)."""
    if section == "model":
        dataclass = MODEL_DATACLASS_REGISTRY[ARCH_MODEL_NAME_REGISTRY[name]]
    elif section == "task":
        dataclass = TASK_DATACLASS_REGISTRY[name]
    elif section in REGISTRIES:
        dataclass = REGISTRIES[section]["dataclass_registry"][name]
    else:
        dataclass = FairseqConfig.__dataclass_fields__[section].default
    return OmegaConf.to_container(OmegaConf.structured(dataclass), resolve=False)


def changed_values(section: str, values: dict) -> dict:
    """The entries of ``values`` that differ from fairseq's defaults; entries whose default
    refers to another option (``${...}``) are left to follow it."""
    defaults = default_values(section, values.get("_name"))
    changed = {"_name": values["_name"]} if values.get("_name") else {}
    for key, value in values.items():
        default = defaults.get(key)
        if key == "_name" or (isinstance(default, str) and default.startswith("${")):
            continue
        if value != default:
            changed[key] = value
    return changed


def relative_paths(section: str, values: dict, data_dir: str) -> dict:
    replaced = {}
    for key, value in values.items():
        if value == data_dir:
            value = "???"  # required: task.data=...
        elif isinstance(value, str) and value.startswith(PLACEHOLDER_OUT + "/"):
            value = value[len(PLACEHOLDER_OUT) + 1:]
        elif section == "common" and key == "user_dir":
            value = "fwp_plugin"
        replaced[key] = value
    return replaced


def run_config(name: str, data_dir: str) -> str:
    recipe_command, what = RUNS[name]
    cfg = convert_namespace_to_omegaconf(
        options.parse_args_and_arch(options.get_training_parser(), dry_run_command(recipe_command, data_dir)))
    model = OmegaConf.to_container(cfg.model)
    sections = {section: relative_paths(section, changed_values(section, OmegaConf.to_container(cfg[section])),
                                        data_dir)
                for section in SECTIONS}
    # Model options the run sets beyond its architecture (--no-token-positional-embeddings).
    architecture = model_values(model["_name"])
    extra_model = {key: value for key, value in changed_values("model", model).items()
                   if key != "_name" and architecture.get(key) != value}
    header = (f"# {name}: {what}.\n# The same run as\n#   bash {recipe_command} --data DATA_DIR --out RUN_DIR\n"
              "# (written from its --dry-run by recipes/hydra/write_configs.py). Another model: model=ARCH\n"
              "# (recipes/hydra/model); paths are relative to the directory the command runs in.\n")
    body = {"defaults": [{"model": model["_name"]}, "_self_"], **sections}
    if extra_model:
        body["model"] = extra_model
    body["hydra"] = {"run": {"dir": "."}, "output_subdir": None}
    return header + OmegaConf.to_yaml(OmegaConf.create(body))


def model_values(arch: str) -> dict:
    """What ``--arch arch`` sets, as fairseq-hydra-train reads it (model._name = the architecture)."""
    args = options.parse_args_and_arch(
        options.get_training_parser(),
        ["unused", "--task", "language_modeling", "--user-dir", os.path.join(REPO_ROOT, "fwp_plugin"), "--arch", arch])
    return changed_values("model", OmegaConf.to_container(convert_namespace_to_omegaconf(args).model))


def model_config(arch: str) -> str:
    model, setting = ARCHITECTURES[arch]
    header = (f"# {arch}: the options --arch {arch} sets ({model}, {setting});\n"
              "# written by recipes/hydra/write_configs.py.\n")
    return header + OmegaConf.to_yaml(OmegaConf.create(model_values(arch)))


def write_configs(out_dir: str) -> None:
    os.makedirs(os.path.join(out_dir, "model"), exist_ok=True)
    files = {f"model/{arch}.yaml": model_config(arch) for arch in ARCHITECTURES}
    with tempfile.TemporaryDirectory() as data_dir:
        for file_name in ("dict.txt", "dict.src.txt", "train.src", "valid.src", "test.src"):
            open(os.path.join(data_dir, file_name), "w").close()
        files.update({f"{name}.yaml": run_config(name, data_dir) for name in RUNS})
    for file_name, text in files.items():
        with open(os.path.join(out_dir, file_name), "w") as handle:
            handle.write(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=HERE, help="folder to write the configs into (default: recipes/hydra)")
    write_configs(parser.parse_args().out)


if __name__ == "__main__":
    main()
