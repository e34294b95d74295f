"""Paper configurations: parameter counts and the README's architecture table."""

import os

import pytest
import torch

from fwp_plugin.models.architectures import ARCHITECTURES, architecture_table

from plugin_helpers import REPO_ROOT, build_model, make_dictionary

WT103_TYPES = 267_735


@pytest.fixture(scope="module")
def wt103_dictionary():
    dictionary = make_dictionary(WT103_TYPES - 4)  # + the 4 special symbols
    assert len(dictionary) == WT103_TYPES
    return dictionary


@pytest.mark.parametrize(
    "arch", [name for name, arch in ARCHITECTURES.items() if arch.paper_params]
)
def test_small_models_match_the_paper_parameter_count(arch, wt103_dictionary):
    with torch.device("meta"):
        model = build_model(arch, wt103_dictionary)
    count = sum(p.numel() for p in model.parameters())
    paper = ARCHITECTURES[arch].paper_params
    assert abs(count - paper) / paper < 0.02, f"{arch}: {count / 1e6:.2f}M vs paper {paper / 1e6:.1f}M"


def test_readme_table_lists_exactly_the_registered_architectures():
    with open(os.path.join(REPO_ROOT, "README.md")) as readme:
        text = readme.read()
    assert architecture_table() in text, (
        "README's architecture table is out of date; paste the output of "
        "`python -c 'import fwp_plugin; print(fwp_plugin.models.architectures.architecture_table())'`"
    )
