"""Initial states: the given state in the accumulation dtype, or zeros.

The ops with a recurrence on their output carry a tuple of tensors (fast weights
and the last output); each op's interface (`fwp_kernels.ops.<op>.interface`)
describes its parts once by `StatePart`s, which the input checks
(`fwp_kernels.checks.check_state_parts`) and the op's forms share.
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


def initial_state_parts(
    initial_state: Optional[Sequence[torch.Tensor]], parts: List[StatePart], like: torch.Tensor, dtype: torch.dtype
) -> StateTuple:
    """The given state's tensors in `dtype`, or zeros of the parts' shapes on the device of `like`."""
    if initial_state is not None:
        return tuple(x.to(dtype) for x in initial_state)
    return tuple(like.new_zeros(part.shape, dtype=dtype) for part in parts)
