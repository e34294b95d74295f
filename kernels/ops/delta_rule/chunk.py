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

Within a chunk everything is a matrix product or a triangular solve over all C
steps at once; the chunks are walked in order. (W and U do not depend on S and
could be batched over all chunks, but walking chunk by chunk keeps the working
set in cache and measured faster on CPU.)
"""

from typing import Optional, Tuple

import torch

from kernels.chunking import iterate_chunks, merge_chunks
from kernels.precision import accumulation_dtype
from kernels.state import initial_fast_weights


def wy_representation(k: torch.Tensor, v: torch.Tensor, beta: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """k: [..., C, Dk], v: [..., C, Dv], beta: [..., C] -> (W: [..., C, Dk], U: [..., C, Dv]).

    Solves (I + tril(diag(beta) K K^T, -1)) [W U] = diag(beta) [K V].
    """
    beta_k_v = torch.cat([k, v], dim=-1) * beta.unsqueeze(-1)  # diag(beta) [K V]
    beta_k = beta_k_v[..., : k.shape[-1]]
    # With unitriangular=True only the strictly lower triangle of the matrix is read
    # (and receives gradient): the solve sees exactly I + tril(diag(beta) K K^T, -1).
    solution = torch.linalg.solve_triangular(beta_k @ k.transpose(-1, -2), beta_k_v, upper=False, unitriangular=True)
    return solution.split([k.shape[-1], v.shape[-1]], dim=-1)


def chunk_updates(k: torch.Tensor, v: torch.Tensor, beta: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
    """The chunk's rank-one updates U_S = U - W S^T: [..., C, Dv], so that S_t = S + sum_{s<=t} u_s k_s^T.

    k: [..., C, Dk], v: [..., C, Dv], beta: [..., C], state S: [..., Dv, Dk] before the chunk.
    """
    w, u = wy_representation(k, v, beta)
    return u - w @ state.transpose(-1, -2)


def delta_rule_chunk(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, beta: torch.Tensor, state: torch.Tensor
) -> Tuple[torch.Tensor, torch.Tensor]:
    """One chunk: q, k: [..., C, Dk]; v: [..., C, Dv]; beta: [..., C]; S: [..., Dv, Dk] -> (O: [..., C, Dv], S_next)."""
    updates = chunk_updates(k, v, beta, state)  # U_S
    scores = (q @ k.transpose(-1, -2)).tril_()  # [..., C, C]
    output = q @ state.transpose(-1, -2) + scores @ updates
    return output, state + updates.transpose(-1, -2) @ k


def chunk_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    chunk_size: int = 64,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """q, k: [B, T, H, Dk]; v: [B, T, H, Dv]; beta: [B, T, H] -> (o: [B, T, H, Dv], W: [B, H, Dv, Dk])."""
    dtype = accumulation_dtype(q.dtype)
    state = initial_fast_weights(initial_state, k, v, dtype)

    outputs = []
    for chunk in iterate_chunks((q, k, v, beta), chunk_size, dtype):  # [B, H, C, ...]
        output, state = delta_rule_chunk(*chunk, state)
        outputs.append(output)
    output = merge_chunks(outputs, q.shape[1], q.dtype)
    return output, state if output_final_state else None
