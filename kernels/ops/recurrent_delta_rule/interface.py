"""The recurrent delta rule's (RDN) interface: q, k, v: [B, T, H, D] and beta: [B, T, H] before
activation, slow weights Rq, Rk, Rv: [H, D, D] and rbeta: [H, D]; the state (W: [B, H, D, D], y: [B, H, D])."""

from typing import List

import torch

from fwp_kernels.checks import check_beta, check_sequences, check_shape, check_state_parts, check_tensor
from fwp_kernels.interface import OpInterface, gaussian
from fwp_kernels.state import StatePart


def recurrent_delta_rule_state_parts(q: torch.Tensor) -> List[StatePart]:
    """(W: [B, H, D, D], y: [B, H, D]) for q: [B, T, H, D]."""
    batch, _, heads, dim = q.shape
    return [
        StatePart("W", (batch, heads, dim, dim), "[B, H, D, D]"),
        StatePart("y", (batch, heads, dim), "[B, H, D]"),
    ]


def check_inputs(arguments: dict) -> None:
    """q, k, v: [B, T, H, D]; beta: [B, T, H]; Rq, Rk, Rv: [H, D, D]; rbeta: [H, D] (any floating dtype);
    the state's parts."""
    q, v = arguments["q"], arguments["v"]
    check_sequences(q, arguments["k"], v)
    check_shape("v", v, q.shape, "[B, T, H, D] of q")
    check_beta(arguments["beta"], q)
    heads, dim = q.shape[2:]
    for name in ("Rq", "Rk", "Rv"):
        check_tensor(name, arguments[name], reference=q)
        check_shape(name, arguments[name], (heads, dim, dim), "[H, D, D] with H, D of q")
    check_tensor("rbeta", arguments["rbeta"], reference=q)
    check_shape("rbeta", arguments["rbeta"], (heads, dim), "[H, D] with H, D of q")
    check_state_parts(arguments.get("initial_state"), recurrent_delta_rule_state_parts(q), q)


def example_inputs(batch: int, seq_len: int, heads: int, dim: int, key_dim: int, generator: torch.Generator) -> dict:
    """q, k, v, beta ~ N(0, 1) (before activation); Rq, Rk, Rv ~ N(0, 1/D): [H, D, D]; rbeta ~ N(0, 1/D):
    [H, D], as the paper initialises the slow weights (key_dim is not used)."""
    inputs = {name: gaussian(generator, batch, seq_len, heads, dim) for name in ("q", "k", "v")}
    inputs["beta"] = gaussian(generator, batch, seq_len, heads)
    inputs.update({name: gaussian(generator, heads, dim, dim) / dim**0.5 for name in ("Rq", "Rk", "Rv")})
    inputs["rbeta"] = gaussian(generator, heads, dim) / dim**0.5
    return inputs


INTERFACE = OpInterface(
    name="recurrent_delta_rule",
    sequence_inputs=("q", "k", "v", "beta"),
    slow_weights=("Rq", "Rk", "Rv", "rbeta"),
    state_parts=lambda arguments: recurrent_delta_rule_state_parts(arguments["q"]),
    check_inputs=check_inputs,
    forms={
        "naive": "fwp_kernels.ops.recurrent_delta_rule.naive:naive_recurrent_delta_rule",
        "torch": "fwp_kernels.ops.recurrent_delta_rule.fused:fused_recurrent_delta_rule",
        "triton": "fwp_kernels.ops.recurrent_delta_rule.triton:triton_fused_recurrent_delta_rule",
    },
    chunked=False,
    example_inputs=example_inputs,
)
