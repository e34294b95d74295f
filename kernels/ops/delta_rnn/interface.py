"""The Delta RNN's interface: q, k: [B, T, H, Dk]; v, rk, rv: [B, T, H, D]; beta, rbeta: [B, T, H];
the state (W: [B, H, D, Dk], R: [B, H, D, D], y: [B, H, D])."""

from typing import List

import torch

from fwp_kernels.checks import check_beta, check_like_q, check_sequences, check_state_parts
from fwp_kernels.interface import OpInterface, programmed_inputs
from fwp_kernels.state import StatePart


def delta_rnn_state_parts(q: torch.Tensor, v: torch.Tensor) -> List[StatePart]:
    """(W: [B, H, D, Dk], R: [B, H, D, D], y: [B, H, D]) for q: [B, T, H, Dk], v: [B, T, H, D]."""
    batch, _, heads, key_dim = q.shape
    dim = v.shape[-1]
    return [
        StatePart("W", (batch, heads, dim, key_dim), "[B, H, D, Dk]"),
        StatePart("R", (batch, heads, dim, dim), "[B, H, D, D]"),
        StatePart("y", (batch, heads, dim), "[B, H, D]"),
    ]


def check_inputs(arguments: dict) -> None:
    """q, k: [B, T, H, Dk]; v, rk, rv: [B, T, H, D]; beta, rbeta: [B, T, H]; the state's parts."""
    q, v = arguments["q"], arguments["v"]
    check_sequences(q, arguments["k"], v)
    check_beta(arguments["beta"], q)
    batch, seq_len, heads, _ = q.shape
    for name in ("rk", "rv"):
        check_like_q(
            name, arguments[name], q, (batch, seq_len, heads, v.shape[-1]), "[B, T, H, D] with B, T, H of q and D of v"
        )
    check_beta(arguments["rbeta"], q, name="rbeta")
    check_state_parts(arguments.get("initial_state"), delta_rnn_state_parts(q, v), q)


def example_inputs(batch: int, seq_len: int, heads: int, dim: int, key_dim: int, generator: torch.Generator) -> dict:
    """programmed_inputs with [B, T, H] steps and the recurrent fast weights' inputs."""
    return programmed_inputs(generator, (batch, seq_len, heads), key_dim, dim, recurrent=True)


INTERFACE = OpInterface(
    name="delta_rnn",
    sequence_inputs=("q", "k", "v", "beta", "rk", "rv", "rbeta"),
    state_parts=lambda arguments: delta_rnn_state_parts(arguments["q"], arguments["v"]),
    check_inputs=check_inputs,
    forms={
        "naive": "fwp_kernels.ops.delta_rnn.naive:naive_delta_rnn",
        "torch": "fwp_kernels.ops.delta_rnn.chunk:chunk_delta_rnn",
        "triton": "fwp_kernels.ops.delta_rnn.triton:triton_fused_delta_rnn",
    },
    chunked=True,
    example_inputs=example_inputs,
)
