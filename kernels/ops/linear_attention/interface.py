"""Linear attention's interface: q, k: [B, T, H, Dk], v: [B, T, H, Dv]; the state W: [B, H, Dv, Dk],
or (W, z: [B, H, Dk]) when normalize=True."""

from typing import List

import torch

from fwp_kernels.checks import check_fast_weights, check_sequences, check_shape, check_tensor
from fwp_kernels.interface import OpInterface, programmed_inputs
from fwp_kernels.state import StatePart


def linear_attention_state_parts(q: torch.Tensor, v: torch.Tensor, normalize: bool) -> List[StatePart]:
    """W: [B, H, Dv, Dk], and z: [B, H, Dk] when normalize=True, for q: [B, T, H, Dk], v: [B, T, H, Dv]."""
    batch, _, heads, key_dim = q.shape
    parts = [StatePart("W", (batch, heads, v.shape[-1], key_dim), "[B, H, Dv, Dk]")]
    if normalize:
        parts.append(StatePart("z", (batch, heads, key_dim), "[B, H, Dk]"))
    return parts


def check_linear_attention_state(initial_state: object, normalize: bool, q: torch.Tensor, v: torch.Tensor) -> None:
    """None, W: [B, H, Dv, Dk], or with normalize=True the pair (W, z: [B, H, Dk])."""
    if initial_state is None:
        return
    if not normalize:
        if not isinstance(initial_state, torch.Tensor):
            raise TypeError(
                f"initial_state must be the fast weights W [B, H, Dv, Dk] when normalize=False, "
                f"got {type(initial_state).__name__}"
            )
        check_fast_weights("initial_state", initial_state, q, v)
        return
    if not isinstance(initial_state, (tuple, list)) or len(initial_state) != 2:
        raise TypeError(
            f"initial_state must be the pair (W [B, H, Dv, Dk], z [B, H, Dk]) when normalize=True, "
            f"got {type(initial_state).__name__}"
        )
    weights, key_sum = initial_state
    check_fast_weights("initial_state[0] (W)", weights, q, v)
    key_sum_part = linear_attention_state_parts(q, v, normalize)[1]
    check_tensor("initial_state[1] (z)", key_sum, reference=q)
    check_shape("initial_state[1] (z)", key_sum, key_sum_part.shape, key_sum_part.layout)


def check_inputs(arguments: dict) -> None:
    q, v = arguments["q"], arguments["v"]
    check_sequences(q, arguments["k"], v)
    check_linear_attention_state(arguments.get("initial_state"), arguments.get("normalize", False), q, v)


def example_inputs(batch: int, seq_len: int, heads: int, dim: int, key_dim: int, generator: torch.Generator) -> dict:
    """q, k = phi(.): [B, T, H, Dk]; v ~ N(0, 1): [B, T, H, D]."""
    inputs = programmed_inputs(generator, (batch, seq_len, heads), key_dim, dim)
    return {name: inputs[name] for name in ("q", "k", "v")}


INTERFACE = OpInterface(
    name="linear_attention",
    sequence_inputs=("q", "k", "v"),
    state_parts=lambda arguments: linear_attention_state_parts(
        arguments["q"], arguments["v"], arguments.get("normalize", False)
    ),
    check_inputs=check_inputs,
    forms={
        "naive": "fwp_kernels.ops.linear_attention.naive:naive_linear_attention",
        "torch": "fwp_kernels.ops.linear_attention.chunk:chunk_linear_attention",
        "triton": "fwp_kernels.ops.linear_attention.triton:triton_chunk_linear_attention",
    },
    chunked=True,
    example_inputs=example_inputs,
)
