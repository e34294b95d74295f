"""Backend selection: the `backend` argument, then FWP_BACKEND, then the default."""

import pytest
import torch

import fwp_kernels
from fwp_kernels.backend import select_implementation
from fwp_kernels.ops.delta_lstm.chunk import chunk_delta_lstm
from fwp_kernels.ops.delta_rnn.chunk import chunk_delta_rnn
from fwp_kernels.ops.delta_rule.chunk import chunk_delta_rule
from fwp_kernels.ops.linear_attention.chunk import chunk_linear_attention
from fwp_kernels.ops.recurrent_delta_rule.fused import fused_recurrent_delta_rule


@pytest.fixture
def inputs():
    q, k = torch.rand(2, 1, 9, 2, 4)
    return {"q": q, "k": k, "v": torch.randn(1, 9, 2, 3), "beta": torch.rand(1, 9, 2)}


@pytest.mark.parametrize("op", [fwp_kernels.delta_rule, fwp_kernels.linear_attention])
def test_unknown_backend_argument(inputs, op, monkeypatch):
    monkeypatch.delenv("FWP_BACKEND", raising=False)
    if op is fwp_kernels.linear_attention:
        inputs.pop("beta")
    message = r"unknown backend 'cuda' from the backend argument; valid choices: 'auto', 'torch', 'triton'$"
    with pytest.raises(ValueError, match=message):
        op(**inputs, backend="cuda")


def test_unknown_backend_from_environment(inputs, monkeypatch):
    monkeypatch.setenv("FWP_BACKEND", "cuda")
    message = r"unknown backend 'cuda' from the environment variable FWP_BACKEND; valid choices: 'auto', 'torch', 'triton'$"
    with pytest.raises(ValueError, match=message):
        fwp_kernels.delta_rule(**inputs)


def test_backend_argument_overrides_environment(inputs, monkeypatch):
    monkeypatch.setenv("FWP_BACKEND", "cuda")
    output, _ = fwp_kernels.delta_rule(**inputs, backend="torch")
    assert output.shape == (1, 9, 2, 3)


@pytest.mark.parametrize("environment", [None, "torch", "auto"],
                         ids=["FWP_BACKEND unset", "FWP_BACKEND=torch", "FWP_BACKEND=auto"])
@pytest.mark.parametrize(
    "op,torch_form",
    [
        ("delta_rule", chunk_delta_rule),
        ("linear_attention", chunk_linear_attention),
        ("delta_rnn", chunk_delta_rnn),
        ("delta_lstm", chunk_delta_lstm),
        ("recurrent_delta_rule", fused_recurrent_delta_rule),
    ],
)
def test_auto_selects_the_torch_form(monkeypatch, environment, op, torch_form):
    if environment is None:
        monkeypatch.delenv("FWP_BACKEND", raising=False)
    else:
        monkeypatch.setenv("FWP_BACKEND", environment)
    assert select_implementation(op, "auto", torch.device("cpu")) is torch_form
