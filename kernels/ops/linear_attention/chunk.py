"""Linear attention in chunkwise-parallel form.

The sequence is cut into chunks of C steps. With S: [Dv, Dk] the fast weights
(the public API's W) before a chunk and Q, K: [C, Dk], V: [C, Dv] its rows,

    O      = Q S^T + tril(Q K^T) V          (tril keeps the diagonal: step s <= t)
    S_next = S + V^T K

and with the key sum z: [Dk] before the chunk, row t's normaliser is

    q_t . z + sum_{s<=t} q_t . k_s  =  (Q z + tril(Q K^T) 1)_t,     z_next = z + K^T 1.

With resets (`fwp_kernels.resets`: same-segment mask `same`, start-state mask g),
tril(Q K^T) is also masked by `same`, the rows Q S^T and Q z by g, and the state
after the chunk is S_next = g_{C-1} S + V^T diag(same_{C-1}) K (z likewise).

Within a chunk everything is a matrix product over all C steps at once; the
chunks are walked in order. (The chunk-local products do not depend on S and
could be batched over all chunks, but walking chunk by chunk keeps the working
set in cache and measured faster on CPU.)
"""

from typing import Optional, Tuple

import torch

from fwp_kernels.chunking import iterate_chunks, merge_chunks
from fwp_kernels.precision import accumulation_dtype
from fwp_kernels.resets import chunk_resets
from fwp_kernels.state import LinearAttentionState, initial_linear_attention_state


def chunk_linear_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    normalize: bool = False,
    eps: float = 1e-5,
    initial_state: Optional[LinearAttentionState] = None,
    output_final_state: bool = False,
    chunk_size: int = 64,
    reset: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[LinearAttentionState]]:
    """q, k: [B, T, H, Dk]; v: [B, T, H, Dv] -> (o: [B, T, H, Dv], final state).

    The state is W: [B, H, Dv, Dk], or the pair (W, z: [B, H, Dk]) when normalize=True.
    reset: [B, T] bool or None; reset[b, t] zeroes row b's W (and z) just before step t.
    """
    dtype = accumulation_dtype(q.dtype)
    weights, key_sum = initial_linear_attention_state(initial_state, normalize, k, v, dtype)

    outputs = []
    chunks = iterate_chunks((q, k, v), chunk_size, dtype)  # [B, H, C, D]
    for (chunk_q, chunk_k, chunk_v), resets in zip(chunks, chunk_resets(reset, chunk_size, dtype)):
        scores = resets.within((chunk_q @ chunk_k.transpose(-1, -2)).tril_())  # [B, H, C, C]
        output = resets.from_start(chunk_q @ weights.transpose(-1, -2)) + scores @ chunk_v
        last_segment_keys = resets.in_last_segment(chunk_k)
        weights = resets.at_end(weights) + chunk_v.transpose(-1, -2) @ last_segment_keys
        if normalize:
            start_part = resets.from_start(chunk_q @ key_sum.unsqueeze(-1))
            denominator = start_part + scores.sum(dim=-1, keepdim=True)  # [B, H, C, 1]
            output = output / (denominator + eps)
            key_sum = resets.at_end(key_sum) + last_segment_keys.sum(dim=2)
        outputs.append(output)
    output = merge_chunks(outputs, q.shape[1], q.dtype)

    if not output_final_state:
        return output, None
    return output, (weights, key_sum) if normalize else weights
