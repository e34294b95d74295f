"""Initial states: the given state in the accumulation dtype, or zeros.

The ops with a recurrence on their output carry a tuple of tensors (fast weights
and the last output); its parts are described once here by `StatePart`s, which
the input checks (`fwp_kernels.checks.check_state_parts`) and the ops share.
"""

from typing import List, NamedTuple, Optional, Sequence, Tuple, Union

import torch

# Linear attention's state: W, or the pair (W, z) when the output is normalised.
LinearAttentionState = Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]

# Delta RNN: (W, R, y); Delta LSTM: (W, R, h, c); recurrent delta rule: (W, y).
StateTuple = Tuple[torch.Tensor, ...]


class StatePart(NamedTuple):
    """One tensor of a state tuple: its name, shape and the layout naming the dimensions."""

    name: str
    shape: Tuple[int, ...]
    layout: str


def initial_fast_weights(
    initial_state: Optional[torch.Tensor], k: torch.Tensor, v: torch.Tensor, dtype: torch.dtype
) -> torch.Tensor:
    """W_0: [B, H, Dv, Dk] in `dtype`, zeros unless given; sizes read from k: [B, T, H, Dk], v: [B, T, H, Dv]."""
    if initial_state is not None:
        return initial_state.to(dtype)
    batch, _, heads, key_dim = k.shape
    return k.new_zeros(batch, heads, v.shape[-1], key_dim, dtype=dtype)


def initial_linear_attention_state(
    initial_state: Optional[LinearAttentionState], normalize: bool, k: torch.Tensor, v: torch.Tensor, dtype: torch.dtype
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """(W_0: [B, H, Dv, Dk], z_0: [B, H, Dk]) in `dtype`, zeros unless given; z_0 is None when normalize=False."""
    if not normalize:
        return initial_fast_weights(initial_state, k, v, dtype), None
    if initial_state is None:
        batch, _, heads, key_dim = k.shape
        return initial_fast_weights(None, k, v, dtype), k.new_zeros(batch, heads, key_dim, dtype=dtype)
    weights, key_sum = initial_state
    return weights.to(dtype), key_sum.to(dtype)


def delta_rnn_state_parts(q: torch.Tensor, v: torch.Tensor) -> List[StatePart]:
    """(W: [B, H, D, Dk], R: [B, H, D, D], y: [B, H, D]) for q: [B, T, H, Dk], v: [B, T, H, D]."""
    batch, _, heads, key_dim = q.shape
    dim = v.shape[-1]
    return [
        StatePart("W", (batch, heads, dim, key_dim), "[B, H, D, Dk]"),
        StatePart("R", (batch, heads, dim, dim), "[B, H, D, D]"),
        StatePart("y", (batch, heads, dim), "[B, H, D]"),
    ]


def delta_lstm_state_parts(q: torch.Tensor) -> List[StatePart]:
    """(W, R: [B, H, 3, D, D], h, c: [B, H, D]) for q: [B, T, H, 3, D]."""
    batch, _, heads, gates, dim = q.shape
    return [
        StatePart("W", (batch, heads, gates, dim, dim), "[B, H, 3, D, D]"),
        StatePart("R", (batch, heads, gates, dim, dim), "[B, H, 3, D, D]"),
        StatePart("h", (batch, heads, dim), "[B, H, D]"),
        StatePart("c", (batch, heads, dim), "[B, H, D]"),
    ]


def recurrent_delta_rule_state_parts(q: torch.Tensor) -> List[StatePart]:
    """(W: [B, H, D, D], y: [B, H, D]) for q: [B, T, H, D]."""
    batch, _, heads, dim = q.shape
    return [
        StatePart("W", (batch, heads, dim, dim), "[B, H, D, D]"),
        StatePart("y", (batch, heads, dim), "[B, H, D]"),
    ]


def initial_state_parts(
    initial_state: Optional[Sequence[torch.Tensor]], parts: List[StatePart], like: torch.Tensor, dtype: torch.dtype
) -> StateTuple:
    """The given state's tensors in `dtype`, or zeros of the parts' shapes on the device of `like`."""
    if initial_state is not None:
        return tuple(x.to(dtype) for x in initial_state)
    return tuple(like.new_zeros(part.shape, dtype=dtype) for part in parts)
