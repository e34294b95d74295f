"""Initial fast weight states: the given state in the accumulation dtype, or zeros."""

from typing import Optional, Tuple, Union

import torch

# Linear attention's state: W, or the pair (W, z) when the output is normalised.
LinearAttentionState = Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]


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
