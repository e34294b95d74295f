"""Linear attention with the Triton chunkwise kernels of `fwp_kernels.ops.common.triton_chunk`.

The numerator W_t q_t is the chunk recurrence with U = V and no W factor. With
normalize=True the normaliser is computed around the kernel in PyTorch (it is
O(T * Dk), a cumulative sum and a dot product per step):

    z_t = z_0 + sum_{s<=t} k_s,     o_t = W_t q_t / (z_t . q_t + eps)

and autograd differentiates it; the numerator is then kept in float32.
"""

from typing import Optional, Tuple

import torch

from fwp_kernels.chunking import split_into_chunks
from fwp_kernels.ops.common.triton_chunk import (
    check_head_dims,
    check_kernel_chunk_size,
    chunk_recurrence,
    kernel_chunk_size,
)
from fwp_kernels.precision import accumulation_dtype
from fwp_kernels.state import LinearAttentionState


def triton_chunk_linear_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    normalize: bool = False,
    eps: float = 1e-5,
    initial_state: Optional[LinearAttentionState] = None,
    output_final_state: bool = False,
    chunk_size: int = 64,
) -> Tuple[torch.Tensor, Optional[LinearAttentionState]]:
    """q, k: [B, T, H, Dk]; v: [B, T, H, Dv] -> (o: [B, T, H, Dv], final state).

    The state is W: [B, H, Dv, Dk], or the pair (W, z: [B, H, Dk]) when normalize=True (float32).
    """
    batch, seq_len, heads, key_dim = q.shape
    check_head_dims(key_dim, v.shape[-1])
    check_kernel_chunk_size(chunk_size)
    chunk_size = kernel_chunk_size(chunk_size, key_dim, v.shape[-1])
    dtype = accumulation_dtype(q.dtype)
    weights, key_sum = None, None
    if initial_state is not None:
        weights, key_sum = initial_state if normalize else (initial_state, None)
    chunked = [split_into_chunks(x, chunk_size, x.dtype) for x in (q, k)]
    values = split_into_chunks(v, chunk_size, dtype if normalize else v.dtype)
    numerator, final_weights = chunk_recurrence(*chunked, values, None, weights)
    output = numerator.flatten(2, 3)[:, :, :seq_len].transpose(1, 2)  # [B, T, H, Dv]
    if not normalize:
        return output.contiguous(), final_weights if output_final_state else None
    key_sums = torch.cumsum(k.to(dtype), dim=1)  # [B, T, H, Dk]: sum_{s<=t} k_s
    if key_sum is not None:
        key_sums = key_sums + key_sum.to(dtype).unsqueeze(1)
    denominator = (key_sums * q.to(dtype)).sum(dim=-1, keepdim=True) + eps
    output = (output / denominator).to(q.dtype).contiguous()
    return output, (final_weights, key_sums[:, -1]) if output_final_state else None
