"""The delta rule in chunkwise-parallel form (WY representation via the UT transform).

Yang et al. 2024, "Parallelizing Linear Transformers with the Delta Rule over
Sequence Length". Here S: [Dv, Dk] denotes the fast weights (the public API's W;
W below is the WY factor). Within a chunk of C steps starting from S, the
updates S_t = S_{t-1} + u_t k_t^T with u_t = beta_t (v_t - S_{t-1} k_t) satisfy

    u_t + beta_t sum_{s<t} (k_t . k_s) u_s = beta_t (v_t - S k_t),

a unit lower triangular system in the rows of U_S: [C, Dv]. With
A = tril(diag(beta) K K^T, -1) and the UT transform T = (I + A)^{-1},

    W = T diag(beta) K,   U = T diag(beta) V       (independent of S)
    U_S = U - W S^T                                 (the chunk's updates u_t)
    O = Q S^T + tril(Q K^T) U_S                     (tril keeps the diagonal: read after the update)
    S_next = S + U_S^T K.

With resets (`fwp_kernels.resets`: same-segment mask `same`, start-state mask g) the
updates satisfy u_t + beta_t sum_{s<t, same_ts} (k_t . k_s) u_s = beta_t (v_t - g_t S k_t):
A is masked by `same`, which makes T block diagonal over the segments, and g is
constant on each segment, so T diag(g) = diag(g) T and

    U_S = U - diag(g) W S^T,   O = diag(g) Q S^T + (tril(Q K^T) * same) U_S,
    S_next = g_{C-1} S + U_S^T diag(same_{C-1}) K.

Within a chunk everything is a matrix product or a triangular solve over all C
steps at once; the chunks are walked in order. (W and U do not depend on S and
could be batched over all chunks, but walking chunk by chunk keeps the working
set in cache and measured faster on CPU.)
"""

from typing import Optional, Tuple

import torch

from fwp_kernels.chunking import iterate_chunks, merge_chunks
from fwp_kernels.precision import accumulation_dtype
from fwp_kernels.resets import NO_RESETS, ChunkResets, chunk_resets
from fwp_kernels.state import initial_fast_weights


def wy_representation(
    k: torch.Tensor, v: torch.Tensor, beta: torch.Tensor, resets: ChunkResets = NO_RESETS
) -> Tuple[torch.Tensor, torch.Tensor]:
    """k: [..., C, Dk], v: [..., C, Dv], beta: [..., C] -> (W: [..., C, Dk], U: [..., C, Dv]).

    Solves (I + tril(diag(beta) K K^T, -1) * same) [W U] = diag(beta) [K V] (no `same` mask without resets).
    """
    beta_k_v = torch.cat([k, v], dim=-1) * beta.unsqueeze(-1)  # diag(beta) [K V]
    beta_k = beta_k_v[..., : k.shape[-1]]
    # With unitriangular=True only the strictly lower triangle of the matrix is read
    # (and receives gradient): the solve sees exactly I + tril(diag(beta) K K^T, -1) (* same).
    lower = resets.within(beta_k @ k.transpose(-1, -2))
    solution = torch.linalg.solve_triangular(lower, beta_k_v, upper=False, unitriangular=True)
    return solution.split([k.shape[-1], v.shape[-1]], dim=-1)


def chunk_updates(
    k: torch.Tensor, v: torch.Tensor, beta: torch.Tensor, state: torch.Tensor, resets: ChunkResets = NO_RESETS
) -> torch.Tensor:
    """The chunk's rank-one updates U_S = U - diag(g) W S^T: [..., C, Dv], so that
    S_t = g_t S + sum_{s<=t, same_ts} u_s k_s^T (g = 1, same = 1 without resets).

    k: [..., C, Dk], v: [..., C, Dv], beta: [..., C], state S: [..., Dv, Dk] before the chunk.
    """
    w, u = wy_representation(k, v, beta, resets)
    return u - resets.from_start(w @ state.transpose(-1, -2))


def delta_rule_chunk(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    state: torch.Tensor,
    resets: ChunkResets = NO_RESETS,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """One chunk: q, k: [..., C, Dk]; v: [..., C, Dv]; beta: [..., C]; S: [..., Dv, Dk] -> (O: [..., C, Dv], S_next).

    With `resets` (the chunk's `ChunkResets`) the leading dims are [B, heads...].
    """
    updates = chunk_updates(k, v, beta, state, resets)  # U_S
    scores = resets.within((q @ k.transpose(-1, -2)).tril_())  # [..., C, C]
    output = resets.from_start(q @ state.transpose(-1, -2)) + scores @ updates
    return output, resets.at_end(state) + updates.transpose(-1, -2) @ resets.in_last_segment(k)


def chunk_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    chunk_size: int = 64,
    reset: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """q, k: [B, T, H, Dk]; v: [B, T, H, Dv]; beta: [B, T, H] -> (o: [B, T, H, Dv], W: [B, H, Dv, Dk]).

    reset: [B, T] bool or None; reset[b, t] zeroes row b's W just before step t.
    """
    dtype = accumulation_dtype(q.dtype)
    state = initial_fast_weights(initial_state, k, v, dtype)

    outputs = []
    chunks = iterate_chunks((q, k, v, beta), chunk_size, dtype)  # [B, H, C, ...]
    for chunk, resets in zip(chunks, chunk_resets(reset, chunk_size, dtype)):
        output, state = delta_rule_chunk(*chunk, state, resets)
        outputs.append(output)
    output = merge_chunks(outputs, q.shape[1], q.dtype)
    return output, state if output_final_state else None
