"""Bad inputs are rejected with a message naming the argument, the shape received and the shape expected."""

import re

import pytest
import torch

import fwp_kernels


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
        fwp_kernels.delta_rule(**bad_inputs)


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
        fwp_kernels.linear_attention(q, k, v, normalize=normalize, initial_state=initial_state)



@pytest.fixture
def delta_rnn_inputs():
    """Delta RNN inputs with B=2, T=37, H=3, Dk=8, D=6."""
    q, k = torch.rand(2, 2, 37, 3, 8)
    v, rk, rv = torch.rand(3, 2, 37, 3, 6)
    beta, rbeta = torch.rand(2, 2, 37, 3)
    return {"q": q, "k": k, "v": v, "beta": beta, "rk": rk, "rv": rv, "rbeta": rbeta}


DELTA_RNN_STATE = "the tuple (W [B, H, D, Dk], R [B, H, D, D], y [B, H, D])"
BAD_DELTA_RNN_INPUTS = [
    (
        "rk",
        lambda x: x["rk"][..., :5],
        ValueError,
        "rk has shape (2, 37, 3, 5), expected (2, 37, 3, 6) = [B, T, H, D] with B, T, H of q and D of v",
    ),
    ("rv", lambda x: x["rv"][:, :36], ValueError, "rv has shape (2, 36, 3, 6), expected (2, 37, 3, 6)"),
    (
        "rv",
        lambda x: x["rv"].double(),
        TypeError,
        "rv has dtype torch.float64, expected torch.float32 (the dtype of q)",
    ),
    (
        "rbeta",
        lambda x: x["rbeta"][:, :, :2],
        ValueError,
        "rbeta has shape (2, 37, 2), expected (2, 37, 3) = [B, T, H]",
    ),
    ("k", lambda x: x["k"][..., :7], ValueError, "k has shape (2, 37, 3, 7), expected (2, 37, 3, 8) = [B, T, H, Dk]"),
    (
        "initial_state",
        lambda x: torch.zeros(2, 3, 6, 8),
        TypeError,
        f"initial_state must be {DELTA_RNN_STATE}, got Tensor",
    ),
    (
        "initial_state",
        lambda x: (torch.zeros(2, 3, 6, 8), torch.zeros(2, 3, 6, 6)),
        ValueError,
        f"initial_state has length 2, expected 3: {DELTA_RNN_STATE}",
    ),
    (
        "initial_state",
        lambda x: (torch.zeros(2, 3, 6, 8), torch.zeros(2, 3, 6, 8), torch.zeros(2, 3, 6)),
        ValueError,
        "initial_state[1] (R) has shape (2, 3, 6, 8), expected (2, 3, 6, 6) = [B, H, D, D]",
    ),
    (
        "initial_state",
        lambda x: (torch.zeros(2, 3, 6, 8), torch.zeros(2, 3, 6, 6), torch.zeros(2, 3, 8)),
        ValueError,
        "initial_state[2] (y) has shape (2, 3, 8), expected (2, 3, 6) = [B, H, D]",
    ),
]


@pytest.mark.parametrize("argument,make_bad_value,error,message", BAD_DELTA_RNN_INPUTS)
def test_delta_rnn_rejects(delta_rnn_inputs, argument, make_bad_value, error, message):
    bad_inputs = {**delta_rnn_inputs, argument: make_bad_value(delta_rnn_inputs)}
    with pytest.raises(error, match=re.escape(message)):
        fwp_kernels.delta_rnn(**bad_inputs)


@pytest.fixture
def delta_lstm_inputs():
    """Delta LSTM inputs with B=2, T=37, H=3, a gate axis of size 3, D=6."""
    q, k, v, rk, rv = torch.rand(5, 2, 37, 3, 3, 6)
    beta, rbeta = torch.rand(2, 2, 37, 3, 3)
    return {"q": q, "k": k, "v": v, "beta": beta, "rk": rk, "rv": rv, "rbeta": rbeta}


GATE_AXIS = "expected [B, T, H, 3, D] with a gate axis of size 3 (input, update, output)"
BAD_DELTA_LSTM_INPUTS = [
    ("q", lambda x: x["q"][:, :, :, 0], ValueError, f"q has shape (2, 37, 3, 6), {GATE_AXIS}"),
    ("q", lambda x: x["q"][:, :, :, :2], ValueError, f"q has shape (2, 37, 3, 2, 6), {GATE_AXIS}"),
    ("q", lambda x: x["q"][:, :0], ValueError, "q has shape (2, 0, 3, 3, 6), expected a sequence length T >= 1"),
    (
        "k",
        lambda x: x["k"][:, :, :, :2],
        ValueError,
        "k has shape (2, 37, 3, 2, 6), expected (2, 37, 3, 3, 6) = [B, T, H, 3, D] of q",
    ),
    ("rv", lambda x: x["rv"][..., :5], ValueError, "rv has shape (2, 37, 3, 3, 5), expected (2, 37, 3, 3, 6)"),
    (
        "beta",
        lambda x: x["beta"][..., 0],
        ValueError,
        "beta has shape (2, 37, 3), expected (2, 37, 3, 3) = [B, T, H, 3]",
    ),
    ("rbeta", lambda x: x["rbeta"][..., :2], ValueError, "rbeta has shape (2, 37, 3, 2), expected (2, 37, 3, 3)"),
    (
        "initial_state",
        lambda x: (torch.zeros(2, 3, 3, 6, 6),) * 3,
        ValueError,
        "initial_state has length 3, expected 4: the tuple (W [B, H, 3, D, D], R [B, H, 3, D, D], h [B, H, D], "
        "c [B, H, D])",
    ),
    (
        "initial_state",
        lambda x: (torch.zeros(2, 3, 3, 6, 6), torch.zeros(2, 3, 6, 6), torch.zeros(2, 3, 6), torch.zeros(2, 3, 6)),
        ValueError,
        "initial_state[1] (R) has shape (2, 3, 6, 6), expected (2, 3, 3, 6, 6) = [B, H, 3, D, D]",
    ),
]


@pytest.mark.parametrize("argument,make_bad_value,error,message", BAD_DELTA_LSTM_INPUTS)
def test_delta_lstm_rejects(delta_lstm_inputs, argument, make_bad_value, error, message):
    bad_inputs = {**delta_lstm_inputs, argument: make_bad_value(delta_lstm_inputs)}
    with pytest.raises(error, match=re.escape(message)):
        fwp_kernels.delta_lstm(**bad_inputs)


@pytest.fixture
def recurrent_delta_rule_inputs():
    """Recurrent delta rule inputs with B=2, T=37, H=3, D=6."""
    q, k, v = torch.randn(3, 2, 37, 3, 6)
    Rq, Rk, Rv = torch.randn(3, 3, 6, 6)
    beta, rbeta = torch.randn(2, 37, 3), torch.randn(3, 6)
    return {"q": q, "k": k, "v": v, "beta": beta, "Rq": Rq, "Rk": Rk, "Rv": Rv, "rbeta": rbeta}


BAD_RECURRENT_DELTA_RULE_INPUTS = [
    (
        "v",
        lambda x: x["v"][..., :5],
        ValueError,
        "v has shape (2, 37, 3, 5), expected (2, 37, 3, 6) = [B, T, H, D] of q",
    ),
    ("Rq", lambda x: x["Rq"][:2], ValueError, "Rq has shape (2, 6, 6), expected (3, 6, 6) = [H, D, D] with H, D of q"),
    ("Rk", lambda x: x["Rk"][..., :5], ValueError, "Rk has shape (3, 6, 5), expected (3, 6, 6) = [H, D, D]"),
    ("Rv", lambda x: x["Rv"][0], ValueError, "Rv has shape (6, 6), expected (3, 6, 6) = [H, D, D]"),
    ("Rv", lambda x: x["Rv"].long(), TypeError, "Rv must have a floating-point dtype, got torch.int64"),
    (
        "rbeta",
        lambda x: x["rbeta"][:, :, None],
        ValueError,
        "rbeta has shape (3, 6, 1), expected (3, 6) = [H, D] with H, D",
    ),
    ("rbeta", lambda x: x["rbeta"][0], ValueError, "rbeta has shape (6,), expected (3, 6) = [H, D]"),
    ("beta", lambda x: x["beta"][..., None], ValueError, "beta has shape (2, 37, 3, 1), expected (2, 37, 3)"),
    (
        "initial_state",
        lambda x: (torch.zeros(2, 3, 6, 6),),
        ValueError,
        "initial_state has length 1, expected 2: the tuple (W [B, H, D, D], y [B, H, D])",
    ),
    (
        "initial_state",
        lambda x: (torch.zeros(2, 3, 6, 6), torch.zeros(2, 6)),
        ValueError,
        "initial_state[1] (y) has shape (2, 6), expected (2, 3, 6) = [B, H, D]",
    ),
]


@pytest.mark.parametrize("argument,make_bad_value,error,message", BAD_RECURRENT_DELTA_RULE_INPUTS)
def test_recurrent_delta_rule_rejects(recurrent_delta_rule_inputs, argument, make_bad_value, error, message):
    bad_inputs = {**recurrent_delta_rule_inputs, argument: make_bad_value(recurrent_delta_rule_inputs)}
    with pytest.raises(error, match=re.escape(message)):
        fwp_kernels.recurrent_delta_rule(**bad_inputs)
