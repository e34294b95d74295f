"""python -m fwp_plugin.model_help lists a model's options with their help (fairseq-train --help cannot)."""

import subprocess
import sys

from plugin_helpers import REPO_ROOT


def model_help(*args):
    return subprocess.run([sys.executable, "-m", "fwp_plugin.model_help", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT)


def test_lists_every_option_with_its_help_and_the_architectures_values():
    result = model_help("fwp_rdn_wt103_small")
    assert result.returncode == 0, result.stderr
    assert "--fast-weight-type" in result.stdout and "fast-weight sublayer of every block" in result.stdout
    assert "--weight-init {default,published}" in result.stdout
    values = result.stdout.split("set by fwp_rdn_wt103_small")[1]
    assert "--fast-weight-type rdn" in values and "--feature-map softmax" in values
    assert "--decoder-layers 16" in values


def test_names_an_unknown_architecture():
    result = model_help("fwp_gru")
    assert result.returncode == 2 and "unknown architecture 'fwp_gru'" in result.stderr
