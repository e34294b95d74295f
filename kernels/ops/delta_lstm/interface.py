"""The Delta LSTM's interface: q, k, v, rk, rv: [B, T, H, 3, D] and beta, rbeta: [B, T, H, 3], with the
gate axis ordered (input, update, output); the state (W, R: [B, H, 3, D, D], h, c: [B, H, D])."""

from typing import List

import torch

from fwp_kernels.checks import check_like_q, check_sequence_length, check_shape, check_state_parts, check_tensor
from fwp_kernels.interface import OpInterface, programmed_inputs
from fwp_kernels.state import StatePart

# The gates, in the order of the gate axis.
GATES = ("input", "update", "output")


def delta_lstm_state_parts(q: torch.Tensor) -> List[StatePart]:
    """(W, R: [B, H, 3, D, D], h, c: [B, H, D]) for q: [B, T, H, 3, D]."""
    batch, _, heads, gates, dim = q.shape
    return [
        StatePart("W", (batch, heads, gates, dim, dim), "[B, H, 3, D, D]"),
        StatePart("R", (batch, heads, gates, dim, dim), "[B, H, 3, D, D]"),
        StatePart("h", (batch, heads, dim), "[B, H, D]"),
        StatePart("c", (batch, heads, dim), "[B, H, D]"),
    ]


def check_inputs(arguments: dict) -> None:
    """q, k, v, rk, rv: [B, T, H, 3, D]; beta, rbeta: [B, T, H, 3]; the state's parts."""
    q = arguments["q"]
    check_tensor("q", q)
    layout = f"[B, T, H, 3, D] with a gate axis of size 3 ({', '.join(GATES)})"
    if q.dim() != 5 or q.shape[3] != len(GATES):
        raise ValueError(f"q has shape {tuple(q.shape)}, expected {layout}")
    check_sequence_length(q, "[B, T, H, 3, D]")
    for name in ("k", "v", "rk", "rv"):
        check_like_q(name, arguments[name], q, q.shape, "[B, T, H, 3, D] of q")
    for name in ("beta", "rbeta"):
        check_tensor(name, arguments[name], reference=q)
        check_shape(name, arguments[name], q.shape[:4], "[B, T, H, 3] of q")
    check_state_parts(arguments.get("initial_state"), delta_lstm_state_parts(q), q)


def example_inputs(batch: int, seq_len: int, heads: int, dim: int, key_dim: int, generator: torch.Generator) -> dict:
    """programmed_inputs with [B, T, H, 3] steps (a gate axis) and the recurrent fast weights' inputs;
    every feature dim is D (key_dim is not used)."""
    return programmed_inputs(generator, (batch, seq_len, heads, len(GATES)), dim, dim, recurrent=True)


INTERFACE = OpInterface(
    name="delta_lstm",
    sequence_inputs=("q", "k", "v", "beta", "rk", "rv", "rbeta"),
    state_parts=lambda arguments: delta_lstm_state_parts(arguments["q"]),
    check_inputs=check_inputs,
    forms={
        "naive": "fwp_kernels.ops.delta_lstm.naive:naive_delta_lstm",
        "torch": "fwp_kernels.ops.delta_lstm.chunk:chunk_delta_lstm",
        "triton": "fwp_kernels.ops.delta_lstm.triton:triton_fused_delta_lstm",
    },
    chunked=True,
    example_inputs=example_inputs,
)
