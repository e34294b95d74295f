"""The Delta RNN as fused Triton kernels (the "triton" backend).

Per batch element and head (equations of `fwp_kernels.ops.delta_rnn.naive`):

    W_t = W_{t-1} + beta_t e_t k_t^T,       e_t = v_t - W_{t-1} k_t          W: [D, Dk]
    R_t = R_{t-1} + rbeta_t f_t rk_t^T,     f_t = rv_t - R_{t-1} rk_t        R: [D, D]
    y_t = W_t q_t + R_t softmax(y_{t-1})                                     (y_0: initial state)

One program per (batch, head) holds W and R in registers and walks the
sequence. The forward kernel stores, per step, y_t, e_t and f_t in float32;
the backward kernel walks back from (W_T, R_T), undoing each update exactly
(W_{t-1} = W_t - beta_t e_t k_t^T, likewise for R; the choice and its reasons
are in `fwp_kernels.ops.common.triton_recurrent`).
"""

from typing import Optional, Tuple

import torch
import triton
import triton.language as tl

from fwp_kernels.ops.common.tiles import cut, pad_to_tiles
from fwp_kernels.ops.common.triton_recurrent import (
    check_supported,
    delta_update_backward_from,
    delta_update_from,
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
)
from fwp_kernels.ops.delta_rnn.interface import delta_rnn_state_parts
from fwp_kernels.state import StateTuple, initial_state_parts


@triton.jit
def _forward_kernel(
    q, k, v, beta, rk, rv, rbeta,  # inputs: [B, T, H, Dk] x2, [B, T, H, D] x3 (v, rk, rv), [B, T, H] x2
    W, R,  # float32 [B, H, D, Dk], [B, H, D, D]: the initial state on entry, the final one on exit
    ys,  # [B, T + 1, H, D] float32: y_0 on entry at t = 0, y_t written at t
    errors, recurrent_errors,  # saved per step, float32 [B, T, H, D]: e_t, f_t
    T, H, dim, D: tl.constexpr, DK: tl.constexpr,
):
    """D, DK: the head dims padded to whole tiles; dim: the real D (the softmax's range)."""
    pid = tl.program_id(0).to(tl.int64)
    b = pid // H
    h = pid % H
    real = tl.arange(0, D) < dim
    weights = load_tile(W + pid * D * DK, D, DK)
    recurrent = load_tile(R + pid * D * D, D, D)
    y = load_vector(ys + row_offset(b, 0, h, T + 1, H) * D, D)
    for t in range(T):
        row = row_offset(b, t, h, T, H)
        previous = softmax(y, real)
        weights = delta_update_from(weights, k, v, beta, errors, row * DK, row * D, row, DK, D)
        recurrent = delta_update_from(recurrent, rk, rv, rbeta, recurrent_errors, row * D, row * D, row, D, D)
        y = matvec(weights, load_vector(q + row * DK, DK)) + matvec(recurrent, previous)
        store_vector(ys + row_offset(b, t + 1, h, T + 1, H) * D, y, D)
    store_tile(W + pid * D * DK, weights, D, DK)
    store_tile(R + pid * D * D, recurrent, D, D)


@triton.jit
def _backward_kernel(
    dys,  # [B, T, H, D] float32: dL/dy_t from the output
    dW, dR,  # float32: dL/dW_T, dL/dR_T on entry, dL/dW_0, dL/dR_0 on exit
    dy_last,  # [B, H, D] float32: dL/dy_T from the final state on entry, dL/dy_0 on exit
    W, R,  # float32: W_T, R_T
    ys, errors, recurrent_errors,  # saved by the forward kernel
    q, k, beta, rk, rbeta,
    dq, dk, dv, dbeta, drk, drv, drbeta,  # float32 outputs, shaped like the inputs
    T, H, dim, D: tl.constexpr, DK: tl.constexpr,
):
    pid = tl.program_id(0).to(tl.int64)
    b = pid // H
    h = pid % H
    real = tl.arange(0, D) < dim
    weights = load_tile(W + pid * D * DK, D, DK)
    recurrent = load_tile(R + pid * D * D, D, D)
    d_weights = load_tile(dW + pid * D * DK, D, DK)
    d_recurrent = load_tile(dR + pid * D * D, D, D)
    dy_carry = load_vector(dy_last + pid * D, D)
    for step in range(T):
        t = T - 1 - step
        row = row_offset(b, t, h, T, H)
        dy = load_vector(dys + row * D, D) + dy_carry
        query = load_vector(q + row * DK, DK)
        previous = softmax(load_vector(ys + row_offset(b, t, h, T + 1, H) * D, D), real)
        # y_t = W_t q_t + R_t softmax(y_{t-1})
        d_weights += outer(dy, query)
        d_recurrent += outer(dy, previous)
        store_vector(dq + row * DK, matvec_t(weights, dy), DK)
        d_previous = matvec_t(recurrent, dy)
        # the two delta rule steps, undone to W_{t-1}, R_{t-1}
        weights, d_weights = delta_update_backward_from(
            weights, d_weights, k, beta, errors, dk, dv, dbeta, row * DK, row * D, row, DK, D
        )
        recurrent, d_recurrent = delta_update_backward_from(
            recurrent, d_recurrent, rk, rbeta, recurrent_errors, drk, drv, drbeta, row * D, row * D, row, D, D
        )
        dy_carry = softmax_backward(previous, d_previous)
    store_tile(dW + pid * D * DK, d_weights, D, DK)
    store_tile(dR + pid * D * D, d_recurrent, D, D)
    store_vector(dy_last + pid * D, dy_carry, D)


class DeltaRNNFunction(torch.autograd.Function):
    """(q, k, v, beta, rk, rv, rbeta, W_0, R_0, y_0, dim) -> (y: [B, T, H, D] in the dtype of q, W_T, R_T, y_T in
    float32).

    q, k: [B, T, H, Dk]; v, rk, rv: [B, T, H, D]; beta, rbeta: [B, T, H];
    W_0: [B, H, D, Dk], R_0: [B, H, D, D], y_0: [B, H, D], with D and Dk padded to whole tiles (contiguous);
    dim: the real D. Every tensor input gets a gradient in its own dtype.
    """

    @staticmethod
    def forward(ctx, q, k, v, beta, rk, rv, rbeta, W0, R0, y0, dim):
        batch, seq_len, heads, key_dim = q.shape
        q, k, v, beta, rk, rv, rbeta = (x.contiguous() for x in (q, k, v, beta, rk, rv, rbeta))
        weights, recurrent = float32_copies(W0, R0)
        ys = sequence_buffer(y0, seq_len)
        errors, recurrent_errors = (torch.empty_like(ys[:, 1:]) for _ in range(2))
        _forward_kernel[(batch * heads,)](
            q, k, v, beta, rk, rv, rbeta, weights, recurrent, ys, errors, recurrent_errors, seq_len, heads, dim,
            v.shape[-1], key_dim, num_warps=num_warps_for(weights[0, 0].numel() + recurrent[0, 0].numel()),
        )
        saved = (weights, recurrent, ys, errors, recurrent_errors)
        ctx.save_for_backward(q, k, v, beta, rk, rv, rbeta, W0, R0, y0, *saved)
        ctx.dim = dim
        return steps_of(ys, q.dtype), weights, recurrent, ys[:, -1].clone()

    @staticmethod
    def backward(ctx, d_output, d_final_weights, d_final_recurrent, d_final_y):
        q, k, v, beta, rk, rv, rbeta, W0, R0, y0, weights, recurrent, ys, errors, recurrent_errors = ctx.saved_tensors
        batch, seq_len, heads, key_dim = q.shape
        dys, dW, dR, dy_last = float32_copies(d_output, d_final_weights, d_final_recurrent, d_final_y)
        dq, dk = (torch.empty_like(q, dtype=torch.float32) for _ in range(2))
        dv, drk, drv = (torch.empty_like(errors) for _ in range(3))
        dbeta, drbeta = (torch.empty_like(beta, dtype=torch.float32) for _ in range(2))
        _backward_kernel[(batch * heads,)](
            dys, dW, dR, dy_last, weights, recurrent, ys, errors, recurrent_errors, q, k, beta, rk, rbeta,
            dq, dk, dv, dbeta, drk, drv, drbeta, seq_len, heads, ctx.dim, v.shape[-1], key_dim,
            num_warps=num_warps_for(2 * (weights[0, 0].numel() + recurrent[0, 0].numel())),  # and their gradients
        )
        gradients = (dq, dk, dv, dbeta, drk, drv, drbeta, dW, dR, dy_last)
        inputs = (q, k, v, beta, rk, rv, rbeta, W0, R0, y0)
        return (*(gradient.to(x.dtype) for gradient, x in zip(gradients, inputs)), None)


def triton_fused_delta_rnn(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    rk: torch.Tensor,
    rv: torch.Tensor,
    rbeta: torch.Tensor,
    initial_state: Optional[StateTuple] = None,
    output_final_state: bool = False,
    chunk_size: int = 64,
) -> Tuple[torch.Tensor, Optional[StateTuple]]:
    """q, k: [B, T, H, Dk]; v, rk, rv: [B, T, H, D]; beta, rbeta: [B, T, H] -> (y: [B, T, H, D], (W, R, y)).

    Same arguments and results as `fwp_kernels.ops.delta_rnn.chunk.chunk_delta_rnn` (a recurrent kernel:
    `chunk_size` is accepted and unused); D and Dk at most fwp_kernels.backend.TRITON_MAX_HEAD_DIM (padded to
    whole tiles and cut back), q float32, bfloat16 or float16. The final state (W: [B, H, D, Dk],
    R: [B, H, D, D], y: [B, H, D]) is float32.
    """
    dim, key_dim = v.shape[-1], q.shape[-1]
    check_supported("delta_rnn", q, Dk=key_dim, D=dim)
    W0, R0, y0 = initial_state_parts(initial_state, delta_rnn_state_parts(q, v), q, torch.float32)
    q, k, v, rk, rv = (pad_to_tiles(x) for x in (q, k, v, rk, rv))
    output, weights, recurrent, y = DeltaRNNFunction.apply(
        q, k, v, beta.contiguous(), rk, rv, rbeta.contiguous(),
        pad_to_tiles(W0, axes=2), pad_to_tiles(R0, axes=2), pad_to_tiles(y0), dim,
    )
    final_state = (cut(weights, dim, key_dim), cut(recurrent, dim, dim), cut(y, dim))
    return cut(output, dim), final_state if output_final_state else None
