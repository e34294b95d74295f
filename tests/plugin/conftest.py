"""Fixtures of the plugin tests."""

import pytest
import torch

from plugin_helpers import make_dictionary


@pytest.fixture
def small_dictionary():
    return make_dictionary(50)


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(0)
