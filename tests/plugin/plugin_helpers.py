"""Helpers shared by the plugin tests: build registered models the way fairseq-train does."""

import os

from fairseq.data import Dictionary

from fwp_plugin.models.from_flags import PLUGIN_DIR, build_model_from_flags, model_config_from_flags

REPO_ROOT = os.path.dirname(PLUGIN_DIR)
SHARED_DATA = os.path.join(os.path.dirname(REPO_ROOT), "shared", "data", "wikitext-2")

parse_model_cfg = model_config_from_flags
build_model = build_model_from_flags


def make_dictionary(num_words: int) -> Dictionary:
    dictionary = Dictionary()
    for i in range(num_words):
        dictionary.add_symbol(f"w{i}")
    return dictionary
