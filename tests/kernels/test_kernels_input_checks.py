"""Bad inputs are rejected with a message naming the argument, the shape received and the shape expected."""

import re

import pytest
import torch

import kernels


@pytest.fixture
def delta_inputs():
    """Delta rule inputs with B=2, T=37, H=3, Dk=8, Dv=6 (no grad needed)."""
    q, k = torch.rand(2, 2, 37, 3, 8)
    return {"q": q, "k": k, "v": torch.randn(2, 37, 3, 6), "beta": torch.rand(2, 37, 3)}


# (argument, bad value made from the good inputs, exception, expected message)
BAD_DELTA_INPUTS = [
    ("q", lambda x: x["q"][0], ValueError, "q has shape (37, 3, 8), expected 4 dimensions [B, T, H, D]"),
    ("q", lambda x: x["q"][:, :0], ValueError, "q has shape (2, 0, 3, 8), expected a sequence length T >= 1"),
    ("k", lambda x: x["k"][:, :36], ValueError, "k has shape (2, 36, 3, 8), expected (2, 37, 3, 8) = [B, T, H, Dk]"),
    ("k", lambda x: x["k"][..., :7], ValueError, "k has shape (2, 37, 3, 7), expected (2, 37, 3, 8)"),
    ("k", lambda x: x["k"][:1], ValueError, "k has shape (1, 37, 3, 8), expected (2, 37, 3, 8)"),
    ("v", lambda x: x["v"][:, :, :2], ValueError, "v has shape (2, 37, 2, 6), expected (2, 37, 3, 6) = [B, T, H, Dv]"),
    ("v", lambda x: x["v"].double(), TypeError, "v has dtype torch.float64, expected torch.float32 (the dtype of q)"),
    ("k", lambda x: x["k"].to("meta"), ValueError, "k is on device meta, expected cpu (the device of q)"),
    ("q", lambda x: x["q"].long(), TypeError, "q must have a floating-point dtype, got torch.int64"),
    ("v", lambda x: x["v"].tolist(), TypeError, "v must be a torch.Tensor, got list"),
    ("beta", lambda x: x["beta"][..., None], ValueError, "beta has shape (2, 37, 3, 1), expected (2, 37, 3)"),
    (
        "initial_state",
        lambda x: torch.zeros(2, 3, 8, 6),
        ValueError,
        "initial_state has shape (2, 3, 8, 6), expected (2, 3, 6, 8) = [B, H, Dv, Dk]",
    ),
    ("chunk_size", lambda x: 0, ValueError, "chunk_size must be a positive int, got 0"),
]


@pytest.mark.parametrize("argument,make_bad_value,error,message", BAD_DELTA_INPUTS)
def test_delta_rule_rejects(delta_inputs, argument, make_bad_value, error, message):
    bad_inputs = {**delta_inputs, argument: make_bad_value(delta_inputs)}
    with pytest.raises(error, match=re.escape(message)):
        kernels.delta_rule(**bad_inputs)


# (normalize, bad initial state for B=2, H=3, Dk=8, Dv=6, exception, expected message)
BAD_LINEAR_ATTENTION_STATES = [
    (
        False,
        (torch.zeros(2, 3, 6, 8), torch.zeros(2, 3, 8)),
        TypeError,
        "initial_state must be the fast weights W [B, H, Dv, Dk] when normalize=False, got tuple",
    ),
    (
        False,
        torch.zeros(2, 3, 6, 6),
        ValueError,
        "initial_state has shape (2, 3, 6, 6), expected (2, 3, 6, 8) = [B, H, Dv, Dk]",
    ),
    (
        True,
        torch.zeros(2, 3, 6, 8),
        TypeError,
        "initial_state must be the pair (W [B, H, Dv, Dk], z [B, H, Dk]) when normalize=True, got Tensor",
    ),
    (
        True,
        (torch.zeros(2, 3, 6, 8), torch.zeros(2, 3, 6)),
        ValueError,
        "initial_state[1] (z) has shape (2, 3, 6), expected (2, 3, 8) = [B, H, Dk]",
    ),
    (
        True,
        (torch.zeros(3, 6, 8), torch.zeros(2, 3, 8)),
        ValueError,
        "initial_state[0] (W) has shape (3, 6, 8), expected (2, 3, 6, 8) = [B, H, Dv, Dk]",
    ),
]


@pytest.mark.parametrize("normalize,initial_state,error,message", BAD_LINEAR_ATTENTION_STATES)
def test_linear_attention_rejects_initial_state(delta_inputs, normalize, initial_state, error, message):
    q, k, v = delta_inputs["q"], delta_inputs["k"], delta_inputs["v"]
    with pytest.raises(error, match=re.escape(message)):
        kernels.linear_attention(q, k, v, normalize=normalize, initial_state=initial_state)
