"""Helpers shared by the plugin tests: build registered models the way fairseq-train does."""

import os
from types import SimpleNamespace

import torch
from fairseq import models, options
from fairseq.data import Dictionary
from fairseq.dataclass.utils import convert_namespace_to_omegaconf

import fwp_plugin

PLUGIN_DIR = os.path.dirname(os.path.abspath(fwp_plugin.__file__))
REPO_ROOT = os.path.dirname(PLUGIN_DIR)
SHARED_DATA = os.path.join(os.path.dirname(REPO_ROOT), "shared", "data", "wikitext-2")


def make_dictionary(num_words: int) -> Dictionary:
    dictionary = Dictionary()
    for i in range(num_words):
        dictionary.add_symbol(f"w{i}")
    return dictionary


def parse_model_cfg(arch: str, *flags: str):
    """The model config fairseq-train would build from ``--arch arch flags``."""
    parser = options.get_training_parser()
    args = options.parse_args_and_arch(
        parser,
        ["unused-data-dir", "--task", "language_modeling", "--user-dir", PLUGIN_DIR,
         "--arch", arch, "--tokens-per-sample", "64", *flags],
    )
    return convert_namespace_to_omegaconf(args).model


def build_model(arch: str, dictionary: Dictionary, *flags: str):
    task = SimpleNamespace(source_dictionary=dictionary, target_dictionary=dictionary)
    return models.build_model(parse_model_cfg(arch, *flags), task)
