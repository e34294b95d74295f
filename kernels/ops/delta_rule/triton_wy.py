"""The delta rule's intra-chunk WY factors in Triton, forward and backward.

Per chunk of C steps (rows of K: [C, Dk], V: [C, Dv], beta: [C]), with
A = tril(diag(beta) K K^T, -1) and the UT transform T = (I + A)^{-1}:

    W = T diag(beta) K,        U = T diag(beta) V

(`fwp_kernels.ops.delta_rule.chunk.wy_representation` computes the same in PyTorch.)
One program per chunk builds A with one product and T by forward substitution,
row by row (T is unit lower triangular: T_i = e_i - A_i T, the rows j < i of T
already final), then W and U with two products. The backward recomputes A and T
from K and beta (nothing but the inputs is kept) and, with Kb = diag(beta) K and
Vb = diag(beta) V, applies

    dT  = dW Kb^T + dU Vb^T,       dKb = T^T dW,      dVb = T^T dU
    dA  = -(T^T dT T^T) strictly below the diagonal           (d(I + A)^{-1})
    dK  = diag(beta) dKb + diag(beta) dA K + (diag(beta) dA)^T K
    dV  = diag(beta) dVb
    dbeta = rowsum(dKb * K) + rowsum(dVb * V) + rowsum(dA * K K^T)

Head dims are whole tiles (the caller pads them, `fwp_kernels.ops.common.tiles`);
the zero rows of a ragged last chunk give zero rows of W and U.
"""

import torch
import triton
import triton.language as tl

from fwp_kernels.ops.common.triton_chunk import dot_precision, dot_warps


@triton.jit
def _solve_unit_lower(A, C: tl.constexpr):
    """(I + A)^{-1} for a strictly lower triangular A: [C, C], by forward substitution over the rows."""
    rows = tl.arange(0, C)
    identity = tl.where(rows[:, None] == rows[None, :], 1.0, 0.0)
    inverse = identity
    for i in range(1, C):
        a_row = tl.sum(tl.where(rows[:, None] == i, A, 0.0), axis=0)  # A_i: zero at j >= i
        new_row = tl.sum(tl.where(rows[:, None] == i, identity, 0.0), axis=0) - tl.sum(a_row[:, None] * inverse, axis=0)
        inverse = tl.where(rows[:, None] == i, new_row[None, :], inverse)
    return inverse


@triton.jit
def _load_chunk(k, v, beta, chunk, C: tl.constexpr, DK: tl.constexpr, DV: tl.constexpr):
    """K: [C, DK], V: [C, DV], beta: [C] of one chunk in float32, and A = tril(diag(beta) K K^T, -1)."""
    rows = tl.arange(0, C)
    keys = tl.load(k + chunk * C * DK + rows[:, None] * DK + tl.arange(0, DK)[None, :]).to(tl.float32)
    values = tl.load(v + chunk * C * DV + rows[:, None] * DV + tl.arange(0, DV)[None, :]).to(tl.float32)
    rates = tl.load(beta + chunk * C + rows).to(tl.float32)
    products = tl.dot(keys, tl.trans(keys), input_precision="ieee")
    A = tl.where(rows[:, None] > rows[None, :], rates[:, None] * products, 0.0)
    return keys, values, rates, products, A


@triton.jit
def _wy_forward_kernel(k, v, beta, w, u, C: tl.constexpr, DK: tl.constexpr, DV: tl.constexpr, PRECISION: tl.constexpr):
    """k, w: [N, C, DK]; v, u: [N, C, DV]; beta: [N, C] (N: every chunk of every batch element and head)."""
    chunk = tl.program_id(0).to(tl.int64)
    rows = tl.arange(0, C)
    keys, values, rates, _, A = _load_chunk(k, v, beta, chunk, C, DK, DV)
    transform = _solve_unit_lower(A, C)
    factor_w = tl.dot(transform, rates[:, None] * keys, input_precision=PRECISION)
    factor_u = tl.dot(transform, rates[:, None] * values, input_precision=PRECISION)
    tl.store(w + chunk * C * DK + rows[:, None] * DK + tl.arange(0, DK)[None, :], factor_w)
    tl.store(u + chunk * C * DV + rows[:, None] * DV + tl.arange(0, DV)[None, :], factor_u)


@triton.jit
def _wy_backward_kernel(
    k,
    v,
    beta,
    grad_w,
    grad_u,
    grad_k,
    grad_v,
    grad_beta,
    C: tl.constexpr,
    DK: tl.constexpr,
    DV: tl.constexpr,
    PRECISION: tl.constexpr,
):
    """The gradients of k, v, beta (float32, laid out like them) from those of w and u."""
    chunk = tl.program_id(0).to(tl.int64)
    rows = tl.arange(0, C)
    key_tile = chunk * C * DK + rows[:, None] * DK + tl.arange(0, DK)[None, :]
    value_tile = chunk * C * DV + rows[:, None] * DV + tl.arange(0, DV)[None, :]
    keys, values, rates, products, A = _load_chunk(k, v, beta, chunk, C, DK, DV)
    transform = _solve_unit_lower(A, C)
    d_factor_w = tl.load(grad_w + key_tile).to(tl.float32)
    d_factor_u = tl.load(grad_u + value_tile).to(tl.float32)
    scaled_keys, scaled_values = rates[:, None] * keys, rates[:, None] * values
    d_transform = tl.dot(d_factor_w, tl.trans(scaled_keys), input_precision=PRECISION)
    d_transform += tl.dot(d_factor_u, tl.trans(scaled_values), input_precision=PRECISION)
    d_scaled_keys = tl.dot(tl.trans(transform), d_factor_w, input_precision=PRECISION)
    d_scaled_values = tl.dot(tl.trans(transform), d_factor_u, input_precision=PRECISION)
    d_A = -tl.dot(
        tl.dot(tl.trans(transform), d_transform, input_precision=PRECISION),
        tl.trans(transform),
        input_precision=PRECISION,
    )
    d_A = tl.where(rows[:, None] > rows[None, :], d_A, 0.0)
    d_products = rates[:, None] * d_A  # dL/d(K K^T) through A
    d_keys = rates[:, None] * d_scaled_keys
    d_keys += tl.dot(d_products, keys, input_precision=PRECISION) + tl.dot(
        tl.trans(d_products), keys, input_precision=PRECISION
    )
    d_rates = tl.sum(d_scaled_keys * keys, axis=1) + tl.sum(d_scaled_values * values, axis=1)
    d_rates += tl.sum(d_A * products, axis=1)
    tl.store(grad_k + key_tile, d_keys)
    tl.store(grad_v + value_tile, rates[:, None] * d_scaled_values)
    tl.store(grad_beta + chunk * C + rows, d_rates)


class WYRepresentation(torch.autograd.Function):
    """(k: [..., C, Dk], v: [..., C, Dv], beta: [..., C], precision) -> (W: [..., C, Dk], U: [..., C, Dv]) float32;
    Dk and Dv whole tiles; precision: tl.dot's input_precision ("ieee" or "tf32"). Gradients in the inputs' dtypes."""

    @staticmethod
    def forward(ctx, k, v, beta, precision):
        chunk_size, key_dim, value_dim = k.shape[-2], k.shape[-1], v.shape[-1]
        k, v, beta = k.contiguous(), v.contiguous(), beta.contiguous()
        num_chunks = k.numel() // (chunk_size * key_dim)
        w = torch.empty(k.shape, dtype=torch.float32, device=k.device)
        u = torch.empty(v.shape, dtype=torch.float32, device=v.device)
        _wy_forward_kernel[(num_chunks,)](
            k, v, beta, w, u, C=chunk_size, DK=key_dim, DV=value_dim, PRECISION=precision, num_stages=1,
            num_warps=dot_warps(precision),
        )
        ctx.save_for_backward(k, v, beta)
        ctx.precision = precision
        return w, u

    @staticmethod
    def backward(ctx, grad_w, grad_u):
        k, v, beta = ctx.saved_tensors
        chunk_size, key_dim, value_dim = k.shape[-2], k.shape[-1], v.shape[-1]
        grad_w = torch.zeros_like(k, dtype=torch.float32) if grad_w is None else grad_w.contiguous()
        grad_u = torch.zeros_like(v, dtype=torch.float32) if grad_u is None else grad_u.contiguous()
        grad_k = torch.empty(k.shape, dtype=torch.float32, device=k.device)
        grad_v = torch.empty(v.shape, dtype=torch.float32, device=v.device)
        grad_beta = torch.empty(beta.shape, dtype=torch.float32, device=beta.device)
        _wy_backward_kernel[(k.numel() // (chunk_size * key_dim),)](
            k,
            v,
            beta,
            grad_w,
            grad_u,
            grad_k,
            grad_v,
            grad_beta,
            C=chunk_size,
            DK=key_dim,
            DV=value_dim,
            PRECISION=ctx.precision,
            num_stages=1,
            num_warps=dot_warps(ctx.precision),
        )
        return grad_k.to(k.dtype), grad_v.to(v.dtype), grad_beta.to(beta.dtype), None


def triton_wy_representation(k: torch.Tensor, v: torch.Tensor, beta: torch.Tensor, input_dtype: torch.dtype):
    """W = T diag(beta) K, U = T diag(beta) V per chunk, T = (I + tril(diag(beta) K K^T, -1))^{-1}:
    k: [..., C, Dk], v: [..., C, Dv], beta: [..., C] (head dims whole tiles) -> float32 (W, U). The products
    are exact in float32 for float32 `input_dtype` (the op's inputs), tf32 for half ones (`dot_precision`)."""
    return WYRepresentation.apply(k, v, beta, dot_precision(input_dtype))
