"""The recurrent delta rule (RDN) as fused Triton kernels (the "triton" backend).

Per batch element and head h (equations of `fwp_kernels.ops.recurrent_delta_rule.naive`):

    a_t = tanh(y_{t-1})                                          (y_0: initial state, zero by default)
    q'_t = softmax(q_t + Rq a_t),   k'_t = softmax(k_t + Rk a_t)
    v'_t = v_t + Rv a_t,            beta'_t = sigmoid(beta_t + rbeta . a_t)
    W_t = W_{t-1} + beta'_t e_t k'_t^T,   e_t = v'_t - W_{t-1} k'_t
    y_t = W_t q'_t

One program per (batch, head) holds W and the head's slow weights Rq, Rk, Rv:
[D, D] in registers and walks the sequence. The forward kernel stores, per
step, the vectors q'_t, k'_t, e_t, beta'_t and y_t in float32; the backward
kernel walks back from W_T, undoing each update exactly as
W_{t-1} = W_t - beta'_t e_t k'_t^T (the choice and its reasons are in
`fwp_kernels.ops.common.triton_recurrent`). The slow weights' gradients are summed per
program and then over the batch (no atomics: deterministic).
"""

from typing import Optional, Tuple

import torch
import triton
import triton.language as tl

from fwp_kernels.ops.common.tiles import cut, pad_to_tiles
from fwp_kernels.ops.common.triton_recurrent import (
    check_supported,
    delta_update,
    delta_update_backward,
    float32_copies,
    load_tile,
    load_vector,
    matvec,
    matvec_t,
    num_warps_for,
    outer,
    row_offset,
    sequence_buffer,
    softmax,
    softmax_backward,
    steps_of,
    store_tile,
    store_vector,
    sum_over_batch,
    tanh,
)
from fwp_kernels.ops.recurrent_delta_rule.interface import recurrent_delta_rule_state_parts
from fwp_kernels.state import StateTuple, initial_state_parts


@triton.jit
def _forward_kernel(
    q, k, v, beta, Rq, Rk, Rv, rbeta,  # inputs: [B, T, H, D] x3, [B, T, H], [H, D, D] x3, [H, D]
    W,  # [B, H, D, D] float32: W_0 on entry, W_T on exit
    ys,  # [B, T + 1, H, D] float32: y_0 on entry at t = 0, y_t written at t
    queries, keys, errors, betas,  # saved per step, float32: [B, T, H, D] x3, [B, T, H]
    T, H, dim, D: tl.constexpr,
):
    """D: the head dim padded to a whole tile; dim: the real D (the softmaxes' range)."""
    pid = tl.program_id(0).to(tl.int64)
    b = pid // H
    h = pid % H
    real = tl.arange(0, D) < dim
    Rq_h = load_tile(Rq + h * D * D, D, D)
    Rk_h = load_tile(Rk + h * D * D, D, D)
    Rv_h = load_tile(Rv + h * D * D, D, D)
    rbeta_h = load_vector(rbeta + h * D, D)
    weights = load_tile(W + pid * D * D, D, D)
    y = load_vector(ys + row_offset(b, 0, h, T + 1, H) * D, D)
    for t in range(T):
        row = row_offset(b, t, h, T, H)
        a = tanh(y)
        query = softmax(load_vector(q + row * D, D) + matvec(Rq_h, a), real)
        key = softmax(load_vector(k + row * D, D) + matvec(Rk_h, a), real)
        value = load_vector(v + row * D, D) + matvec(Rv_h, a)
        beta_t = tl.sigmoid(tl.load(beta + row).to(tl.float32) + tl.sum(rbeta_h * a, axis=0))
        weights, error = delta_update(weights, key, value, beta_t)
        y = matvec(weights, query)
        store_vector(ys + row_offset(b, t + 1, h, T + 1, H) * D, y, D)
        store_vector(queries + row * D, query, D)
        store_vector(keys + row * D, key, D)
        store_vector(errors + row * D, error, D)
        tl.store(betas + row, beta_t)
    store_tile(W + pid * D * D, weights, D, D)


@triton.jit
def _backward_kernel(
    dys,  # [B, T, H, D] float32: dL/dy_t from the output
    dW,  # [B, H, D, D] float32: dL/dW_T on entry, dL/dW_0 on exit
    dy_last,  # [B, H, D] float32: dL/dy_T from the final state on entry, dL/dy_0 on exit
    W,  # [B, H, D, D] float32: W_T
    ys, queries, keys, errors, betas,  # saved by the forward kernel
    Rq, Rk, Rv, rbeta,
    dq, dk, dv, dbeta,  # float32 outputs: [B, T, H, D] x3, [B, T, H]
    dRq, dRk, dRv, drbeta,  # float32 per-program partials: [B, H, D, D] x3, [B, H, D]
    T, H, D: tl.constexpr,
):
    pid = tl.program_id(0).to(tl.int64)
    b = pid // H
    h = pid % H
    Rq_h = load_tile(Rq + h * D * D, D, D)
    Rk_h = load_tile(Rk + h * D * D, D, D)
    Rv_h = load_tile(Rv + h * D * D, D, D)
    rbeta_h = load_vector(rbeta + h * D, D)
    weights = load_tile(W + pid * D * D, D, D)
    d_weights = load_tile(dW + pid * D * D, D, D)
    dy_carry = load_vector(dy_last + pid * D, D)
    dRq_h = tl.zeros((D, D), dtype=tl.float32)
    dRk_h = tl.zeros((D, D), dtype=tl.float32)
    dRv_h = tl.zeros((D, D), dtype=tl.float32)
    drbeta_h = tl.zeros((D,), dtype=tl.float32)
    for step in range(T):
        t = T - 1 - step
        row = row_offset(b, t, h, T, H)
        dy = load_vector(dys + row * D, D) + dy_carry
        query = load_vector(queries + row * D, D)
        key = load_vector(keys + row * D, D)
        beta_t = tl.load(betas + row)
        # y_t = W_t q'_t
        d_weights += outer(dy, query)
        d_query = matvec_t(weights, dy)
        # W_t = W_{t-1} + beta'_t e_t k'_t^T, undone to W_{t-1}
        weights, d_weights, d_key, d_value, d_beta = delta_update_backward(
            weights, d_weights, key, load_vector(errors + row * D, D), beta_t
        )
        # the activations and the recurrent inputs R a_t, a_t = tanh(y_{t-1})
        dq_t = softmax_backward(query, d_query)
        dk_t = softmax_backward(key, d_key)
        dbeta_t = d_beta * beta_t * (1.0 - beta_t)
        store_vector(dq + row * D, dq_t, D)
        store_vector(dk + row * D, dk_t, D)
        store_vector(dv + row * D, d_value, D)
        tl.store(dbeta + row, dbeta_t)
        a = tanh(load_vector(ys + row_offset(b, t, h, T + 1, H) * D, D))
        dRq_h += outer(dq_t, a)
        dRk_h += outer(dk_t, a)
        dRv_h += outer(d_value, a)
        drbeta_h += dbeta_t * a
        da = matvec_t(Rq_h, dq_t) + matvec_t(Rk_h, dk_t) + matvec_t(Rv_h, d_value) + rbeta_h * dbeta_t
        dy_carry = da * (1.0 - a * a)
    store_tile(dW + pid * D * D, d_weights, D, D)
    store_vector(dy_last + pid * D, dy_carry, D)
    store_tile(dRq + pid * D * D, dRq_h, D, D)
    store_tile(dRk + pid * D * D, dRk_h, D, D)
    store_tile(dRv + pid * D * D, dRv_h, D, D)
    store_vector(drbeta + pid * D, drbeta_h, D)


class RecurrentDeltaRuleFunction(torch.autograd.Function):
    """(q, k, v, beta, Rq, Rk, Rv, rbeta, W_0, y_0, dim) -> (y: [B, T, H, D] in the dtype of q, W_T, y_T in float32).

    q, k, v: [B, T, H, D]; beta: [B, T, H]; Rq, Rk, Rv: [H, D, D]; rbeta: [H, D];
    W_0: [B, H, D, D] and y_0: [B, H, D] (any floating dtype), with D padded to a whole tile; dim: the real D.
    Every tensor input gets a gradient in its own dtype.
    """

    @staticmethod
    def forward(ctx, q, k, v, beta, Rq, Rk, Rv, rbeta, W0, y0, dim):
        batch, seq_len, heads, tile = q.shape
        q, k, v, beta, Rq, Rk, Rv, rbeta = (x.contiguous() for x in (q, k, v, beta, Rq, Rk, Rv, rbeta))
        (weights,) = float32_copies(W0)
        ys = sequence_buffer(y0, seq_len)
        queries, keys, errors = (torch.empty_like(ys[:, 1:]) for _ in range(3))
        betas = q.new_empty(batch, seq_len, heads, dtype=torch.float32)
        _forward_kernel[(batch * heads,)](
            q, k, v, beta, Rq, Rk, Rv, rbeta, weights, ys, queries, keys, errors, betas, seq_len, heads, dim, tile,
            num_warps=num_warps_for(4 * tile * tile),  # W, Rq, Rk, Rv
        )
        ctx.save_for_backward(q, k, v, beta, Rq, Rk, Rv, rbeta, W0, y0, weights, ys, queries, keys, errors, betas)
        return steps_of(ys, q.dtype), weights, ys[:, -1].clone()

    @staticmethod
    def backward(ctx, d_output, d_final_weights, d_final_y):
        q, k, v, beta, Rq, Rk, Rv, rbeta, W0, y0, weights, ys, queries, keys, errors, betas = ctx.saved_tensors
        batch, seq_len, heads, tile = q.shape
        dys, dW, dy_last = float32_copies(d_output, d_final_weights, d_final_y)
        dq, dk, dv = (torch.empty_like(queries) for _ in range(3))
        dbeta = torch.empty_like(betas)
        dRq, dRk, dRv = (torch.empty_like(weights) for _ in range(3))
        drbeta = torch.empty_like(dy_last)
        _backward_kernel[(batch * heads,)](
            dys, dW, dy_last, weights, ys, queries, keys, errors, betas, Rq, Rk, Rv, rbeta,
            dq, dk, dv, dbeta, dRq, dRk, dRv, drbeta, seq_len, heads, tile,
            num_warps=num_warps_for(8 * tile * tile),  # W, Rq, Rk, Rv and their gradients
        )
        return (
            dq.to(q.dtype),
            dk.to(k.dtype),
            dv.to(v.dtype),
            dbeta.to(beta.dtype),
            sum_over_batch(dRq, Rq),
            sum_over_batch(dRk, Rk),
            sum_over_batch(dRv, Rv),
            sum_over_batch(drbeta, rbeta),
            dW.to(W0.dtype),
            dy_last.to(y0.dtype),
            None,
        )


def triton_fused_recurrent_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    Rq: torch.Tensor,
    Rk: torch.Tensor,
    Rv: torch.Tensor,
    rbeta: torch.Tensor,
    initial_state: Optional[StateTuple] = None,
    output_final_state: bool = False,
) -> Tuple[torch.Tensor, Optional[StateTuple]]:
    """q, k, v: [B, T, H, D]; beta: [B, T, H]; Rq, Rk, Rv: [H, D, D]; rbeta: [H, D] -> (y: [B, T, H, D], (W, y)).

    Same arguments and results as `fwp_kernels.ops.recurrent_delta_rule.fused.fused_recurrent_delta_rule`;
    D at most fwp_kernels.backend.TRITON_MAX_HEAD_DIM (padded to a whole tile and cut back), q float32,
    bfloat16 or float16. The final state (W: [B, H, D, D], y: [B, H, D]) is float32.
    """
    dim = q.shape[-1]
    check_supported("recurrent_delta_rule", q, D=dim)
    W0, y0 = initial_state_parts(initial_state, recurrent_delta_rule_state_parts(q), q, torch.float32)
    q, k, v, rbeta, y0 = (pad_to_tiles(x) for x in (q, k, v, rbeta, y0))
    Rq, Rk, Rv, W0 = (pad_to_tiles(x, axes=2) for x in (Rq, Rk, Rv, W0))
    output, weights, y = RecurrentDeltaRuleFunction.apply(q, k, v, beta.contiguous(), Rq, Rk, Rv, rbeta, W0, y0, dim)
    return cut(output, dim), (cut(weights, dim, dim), cut(y, dim)) if output_final_state else None
