"""The delta rule with Triton kernels: chunkwise (WY/UT) for training, token by token for decoding.

Chunkwise (`triton_chunk_delta_rule`): per chunk of C steps the WY factors

    W = T diag(beta) K,  U = T diag(beta) V,  T = (I + tril(diag(beta) K K^T, -1))^{-1}

do not depend on the state; a Triton kernel pair computes them for all chunks at
once, forward and backward (`fwp_kernels.ops.delta_rule.triton_wy`: T by forward
substitution in registers). The inter-chunk recurrence, which carries the
state S: [Dv, Dk] through the chunks (U_S = U - W S^T, O = Q S^T + tril(Q K^T) U_S,
S_next = S + U_S^T K), is the Triton kernel pair of `fwp_kernels.ops.common.triton_chunk`,
forward and backward. Memory kept for the backward: the chunked inputs and W, U,
O(T * D) per head; per-chunk states exist only during the backward.

Token by token (`triton_fused_delta_rule`): one program per (batch, head)
keeps S in registers and walks the steps,

    u_t = beta_t (v_t - S k_t),  S <- S + u_t k_t^T,  o_t = S q_t.

It has no backward and refuses inputs that require grad. The "triton" backend
of the public op (`triton_delta_rule`) uses it for sequences shorter than one chunk
when no gradient is needed (decoding), and the chunkwise form otherwise.
"""

from typing import Optional, Tuple

import torch
import triton
import triton.language as tl

from fwp_kernels.chunking import split_into_chunks
from fwp_kernels.ops.common.tiles import cut, pad_to_tiles
from fwp_kernels.ops.common.triton_chunk import (
    check_head_dims,
    check_kernel_chunk_size,
    chunk_recurrence,
    kernel_chunk_size,
)
from fwp_kernels.ops.common.triton_recurrent import num_warps_for
from fwp_kernels.ops.delta_rule.triton_wy import triton_wy_representation
from fwp_kernels.precision import accumulation_dtype


def triton_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    chunk_size: int = 64,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """The "triton" backend of `fwp_kernels.delta_rule`: token by token for short inference inputs, else chunkwise."""
    check_kernel_chunk_size(chunk_size)
    if q.shape[1] < chunk_size and not needs_grad(q, k, v, beta, initial_state):
        return triton_fused_delta_rule(q, k, v, beta, initial_state, output_final_state)
    return triton_chunk_delta_rule(q, k, v, beta, initial_state, output_final_state, chunk_size)


def triton_chunk_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    chunk_size: int = 64,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """q, k: [B, T, H, Dk]; v: [B, T, H, Dv]; beta: [B, T, H] -> (o: [B, T, H, Dv], W: [B, H, Dv, Dk] float32).
    Head dims are padded to whole tiles (`fwp_kernels.ops.common.tiles`) and cut back."""
    seq_len, key_dim, value_dim = q.shape[1], q.shape[-1], v.shape[-1]
    check_head_dims(key_dim, value_dim)
    check_kernel_chunk_size(chunk_size)
    chunk_size = kernel_chunk_size(chunk_size, key_dim, value_dim)
    dtype = accumulation_dtype(q.dtype)
    q, k, v = (pad_to_tiles(x) for x in (q, k, v))
    if initial_state is not None:
        initial_state = pad_to_tiles(initial_state, axes=2)
    chunk_q = split_into_chunks(q, chunk_size, q.dtype)  # [B, H, N, C, Dk]
    chunk_k, chunk_v, chunk_beta = (split_into_chunks(x, chunk_size, dtype) for x in (k, v, beta))
    w, u = triton_wy_representation(chunk_k, chunk_v, chunk_beta, q.dtype)
    output, final_state = chunk_recurrence(chunk_q, chunk_k, u, w, initial_state)
    output = cut(output.flatten(2, 3)[:, :, :seq_len].transpose(1, 2), value_dim).to(q.dtype).contiguous()
    return output, cut(final_state, value_dim, key_dim) if output_final_state else None


@triton.jit
def _token_by_token_kernel(
    q, k, v, beta, initial_state, output, final_state,
    seq_len, heads,
    DK: tl.constexpr, DV: tl.constexpr, HAS_INITIAL_STATE: tl.constexpr,
):
    """q, k: [B, T, H, DK]; v, output: [B, T, H, DV]; beta: [B, T, H]; *_state: [B, H, DV, DK]."""
    head = tl.program_id(0)  # b * H + h
    batch_index = head // heads
    head_index = head % heads
    key_cols = tl.arange(0, DK)
    value_rows = tl.arange(0, DV)
    state_tile = value_rows[:, None] * DK + key_cols[None, :]
    if HAS_INITIAL_STATE:
        state = tl.load(initial_state + head * DV * DK + state_tile).to(tl.float32)
    else:
        state = tl.zeros([DV, DK], dtype=tl.float32)
    for t in range(seq_len):
        step = (batch_index * seq_len + t) * heads + head_index  # index of [b, t, h]
        key = tl.load(k + step * DK + key_cols).to(tl.float32)
        query = tl.load(q + step * DK + key_cols).to(tl.float32)
        value = tl.load(v + step * DV + value_rows).to(tl.float32)
        rate = tl.load(beta + step).to(tl.float32)
        update = rate * (value - tl.sum(state * key[None, :], axis=1))
        state += update[:, None] * key[None, :]
        out = tl.sum(state * query[None, :], axis=1)
        tl.store(output + step * DV + value_rows, out.to(output.dtype.element_ty))
    tl.store(final_state + head * DV * DK + state_tile, state)


def needs_grad(*tensors: Optional[torch.Tensor]) -> bool:
    """Whether autograd would record an op on these tensors (grad mode on and one requires grad)."""
    return torch.is_grad_enabled() and any(x is not None and x.requires_grad for x in tensors)


def triton_fused_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Token by token, forward only: q, k: [B, T, H, Dk]; v: [B, T, H, Dv]; beta: [B, T, H]
    -> (o: [B, T, H, Dv], W: [B, H, Dv, Dk] float32). Raises RuntimeError for inputs that require grad."""
    if needs_grad(q, k, v, beta, initial_state):
        raise RuntimeError(
            "the token-by-token triton delta rule has no backward; call it under torch.no_grad() "
            "or use the chunkwise form (fwp_kernels.delta_rule with backend='triton' and T >= chunk_size)"
        )
    batch, seq_len, heads, key_dim = q.shape
    value_dim = v.shape[-1]
    check_head_dims(key_dim, value_dim)
    q, k, v = (pad_to_tiles(x) for x in (q, k, v))  # whole tiles (fwp_kernels.ops.common.tiles), cut back below
    output = torch.empty_like(v)
    final_state = q.new_empty(batch, heads, v.shape[-1], q.shape[-1], dtype=torch.float32)
    if initial_state is not None:
        initial_state = pad_to_tiles(initial_state, axes=2)
    _token_by_token_kernel[(batch * heads,)](
        q, k, v, beta.contiguous(), initial_state if initial_state is not None else final_state, output, final_state,
        seq_len, heads,
        DK=q.shape[-1], DV=v.shape[-1], HAS_INITIAL_STATE=initial_state is not None,
        num_warps=num_warps_for(final_state[0, 0].numel()),
    )
    return cut(output, value_dim), cut(final_state, value_dim, key_dim) if output_final_state else None
