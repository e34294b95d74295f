"""Loading fairseq checkpoints: torch >= 2.6, options added since, and a ``--task`` that
loading would ignore.

torch >= 2.6 loads with ``weights_only=True``; older fairseq checkpoints keep
an ``argparse.Namespace`` of options and numpy scalars in their metadata, and
fairseq's resume of a data-parallel run sends the loaded state, config
included, through torch.save/torch.load between workers; that loader rejects
them ("Unsupported global"). Importing the plugin allow-lists exactly those
classes, so such checkpoints load and such runs resume with no environment
variable set.

``fairseq-validate DATA --task code_execution --path listops.pt`` hands its
command line to the checkpoint loader as overrides, but fairseq builds the
task the checkpoint was trained with whatever ``--task`` says: the listops task
then reads the code_execution data and fails on a dictionary mismatch (or
scores another task than the one asked for). ``install_checkpoint_task_check``
makes the loader refuse such an override, naming both tasks.

A checkpoint written before one of the plugin's model options existed has no
value for it, and fairseq would not fill one in (the saved model name is the
architecture, not the model); the loader gives it the option's default, which
is always the behaviour from before the option existed, or the value a
``--model-overrides`` asks for (``fill_missing_model_options``).
"""

import argparse
import collections
import functools
import typing

import numpy
import torch


def fairseq_checkpoint_globals():
    """The non-tensor classes found in fairseq checkpoints: a Namespace of options and numpy
    scalars in older ones; the config (omegaconf containers and nodes) and fairseq's placeholders
    of its tensors in the state fairseq sends from the first worker to the others when a
    data-parallel run resumes (``fairseq.distributed.utils.broadcast_object`` reloads it with
    torch.load)."""
    from fairseq.distributed.utils import _TensorPlaceholder
    from omegaconf import DictConfig, ListConfig, nodes
    from omegaconf.base import ContainerMetadata, Metadata

    scalar_module = getattr(numpy, "_core", None) or numpy.core
    numpy_dtypes = [type(numpy.dtype(kind)) for kind in ("float16", "float32", "float64", "int32", "int64", "bool")]
    omegaconf_classes = [DictConfig, ListConfig, ContainerMetadata, Metadata, nodes.AnyNode, nodes.StringNode,
                         nodes.IntegerNode, nodes.FloatNode, nodes.BooleanNode, nodes.EnumNode,
                         typing.Any, collections.defaultdict, dict, list, int, float, bool, str]
    return [argparse.Namespace, scalar_module.multiarray.scalar, numpy.dtype, *numpy_dtypes, *omegaconf_classes,
            _TensorPlaceholder]


def allow_fairseq_checkpoint_globals() -> None:
    torch.serialization.add_safe_globals(fairseq_checkpoint_globals())


def ignored_task_problem(path: str, state: dict, arg_overrides) -> str:
    """Why ``arg_overrides`` asks for a task that loading ``state`` ignores, or ''.

    Only a checkpoint with a config (fairseq >= 0.10) ignores it: in an older one
    (``state["args"]``, a Namespace) the override replaces the task."""
    requested = (arg_overrides or {}).get("task")
    cfg = state.get("cfg")
    if not isinstance(requested, str) or state.get("args") is not None or cfg is None:
        return ""
    trained = (cfg.get("task") or {}).get("_name")
    if trained is None or trained == requested:
        return ""
    return (f"--task {requested}: {path} was trained with --task {trained}, and fairseq evaluates a "
            f"checkpoint with the task it was trained with whatever --task says (it would read this "
            f"data as {trained} data); pass --task {trained}, or a checkpoint trained "
            f"with --task {requested}")


def fill_missing_model_options(state: dict, arg_overrides=None) -> None:
    """Give every option of the plugin's models that ``state["cfg"].model`` lacks its value in
    ``arg_overrides`` (fairseq applies overrides only to options the checkpoint has), else its default."""
    from fairseq.models import ARCH_MODEL_NAME_REGISTRY, MODEL_DATACLASS_REGISTRY
    from omegaconf import OmegaConf, open_dict

    cfg = state.get("cfg")
    model_cfg = cfg.get("model") if cfg is not None else None
    if not OmegaConf.is_config(model_cfg):
        return
    model = ARCH_MODEL_NAME_REGISTRY.get(model_cfg.get("_name"), model_cfg.get("_name"))
    if model not in ("fwp_lm", "fwp_tagger"):
        return
    defaults = OmegaConf.to_container(OmegaConf.structured(MODEL_DATACLASS_REGISTRY[model]), resolve=False,
                                      enum_to_str=True)  # plain values: the state is pickled again on resume
    with open_dict(model_cfg):
        for name, value in defaults.items():
            if name not in model_cfg and not (isinstance(value, str) and value.startswith("${")):
                model_cfg[name] = (arg_overrides or {}).get(name, value)


def install_checkpoint_loader() -> None:
    """Wrap ``fairseq.checkpoint_utils.load_checkpoint_to_cpu`` with ``ignored_task_problem`` and
    ``fill_missing_model_options`` (once)."""
    from fairseq import checkpoint_utils

    original = checkpoint_utils.load_checkpoint_to_cpu
    if getattr(original, "fwp_checks", False):
        return

    @functools.wraps(original)
    def load_checkpoint_to_cpu(path, arg_overrides=None, *args, **kwargs):
        state = original(path, arg_overrides, *args, **kwargs)
        problem = ignored_task_problem(path, state, arg_overrides)
        if problem:
            raise ValueError(problem)
        fill_missing_model_options(state, arg_overrides)
        return state

    load_checkpoint_to_cpu.fwp_checks = True
    checkpoint_utils.load_checkpoint_to_cpu = load_checkpoint_to_cpu
