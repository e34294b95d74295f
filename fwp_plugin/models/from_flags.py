"""Build a registered model in Python from fairseq-train's command-line flags.

    from fwp_plugin.models.from_flags import build_model_from_flags
    model = build_model_from_flags("fwp_delta_net_tiny", dictionary, "--decoder-layers", "4")

The config goes through fairseq's own parser and the architecture function,
exactly as ``fairseq-train --user-dir fwp_plugin --task language_modeling``
would build it, so the model matches what training would produce.
"""

import os
from types import SimpleNamespace

from fairseq import models, options
from fairseq.data import Dictionary
from fairseq.dataclass.utils import convert_namespace_to_omegaconf

PLUGIN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def model_config_from_flags(arch: str, *flags: str, tokens_per_sample: int = 64):
    """The model config fairseq-train would build from ``--arch arch flags``."""
    parser = options.get_training_parser()
    args = options.parse_args_and_arch(
        parser,
        ["unused-data-dir", "--task", "language_modeling", "--user-dir", PLUGIN_DIR,
         "--arch", arch, "--tokens-per-sample", str(tokens_per_sample), *flags],
    )
    return convert_namespace_to_omegaconf(args).model


def build_model_from_flags(arch: str, dictionary: Dictionary, *flags: str, tokens_per_sample: int = 64):
    """The language model of architecture ``arch`` over ``dictionary``."""
    task = SimpleNamespace(source_dictionary=dictionary, target_dictionary=dictionary)
    cfg = model_config_from_flags(arch, *flags, tokens_per_sample=tokens_per_sample)
    return models.build_model(cfg, task)
