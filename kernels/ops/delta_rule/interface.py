"""The delta rule's interface: q, k: [B, T, H, Dk], v: [B, T, H, Dv], beta: [B, T, H]; the state
W: [B, H, Dv, Dk]."""

from typing import List

import torch

from fwp_kernels.checks import check_beta, check_fast_weights, check_sequences
from fwp_kernels.interface import OpInterface, programmed_inputs
from fwp_kernels.state import StatePart


def delta_rule_state_parts(q: torch.Tensor, v: torch.Tensor) -> List[StatePart]:
    """W: [B, H, Dv, Dk] for q: [B, T, H, Dk], v: [B, T, H, Dv]."""
    batch, _, heads, key_dim = q.shape
    return [StatePart("W", (batch, heads, v.shape[-1], key_dim), "[B, H, Dv, Dk]")]


def check_inputs(arguments: dict) -> None:
    q, v = arguments["q"], arguments["v"]
    check_sequences(q, arguments["k"], v)
    check_beta(arguments["beta"], q)
    if arguments.get("initial_state") is not None:
        check_fast_weights("initial_state", arguments["initial_state"], q, v)


def example_inputs(batch: int, seq_len: int, heads: int, dim: int, key_dim: int, generator: torch.Generator) -> dict:
    """q, k = phi(.): [B, T, H, Dk]; v ~ N(0, 1): [B, T, H, D]; beta = sigmoid(.): [B, T, H]."""
    return programmed_inputs(generator, (batch, seq_len, heads), key_dim, dim)


INTERFACE = OpInterface(
    name="delta_rule",
    sequence_inputs=("q", "k", "v", "beta"),
    state_parts=lambda arguments: delta_rule_state_parts(arguments["q"], arguments["v"]),
    check_inputs=check_inputs,
    forms={
        "naive": "fwp_kernels.ops.delta_rule.naive:naive_delta_rule",
        "torch": "fwp_kernels.ops.delta_rule.chunk:chunk_delta_rule",
        "triton": "fwp_kernels.ops.delta_rule.triton:triton_delta_rule",
    },
    chunked=True,
    example_inputs=example_inputs,
)
