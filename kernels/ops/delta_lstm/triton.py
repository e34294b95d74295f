"""The Delta LSTM as fused Triton kernels (the "triton" backend).

Per batch element, head and gate g in (input, update, output) (equations of
`fwp_kernels.ops.delta_lstm.naive`):

    W^g_t = W^g_{t-1} + beta^g_t e^g_t k^g_t^T,     e^g_t = v^g_t - W^g_{t-1} k^g_t
    R^g_t = R^g_{t-1} + rbeta^g_t f^g_t rk^g_t^T,   f^g_t = rv^g_t - R^g_{t-1} rk^g_t
    pre^g_t = W^g_t q^g_t + R^g_t softmax(h_{t-1})
    i_t = sigmoid(pre^i_t),  u_t = pre^u_t,  o_t = sigmoid(pre^o_t)
    c_t = i_t u_t + (1 - i_t) c_{t-1},   h_t = c_t o_t

One program per (batch, head) holds the six [D, D] matrices W^g, R^g in
registers and walks the sequence. The forward kernel stores, per step, h_t,
c_t, e^g_t and f^g_t in float32; the backward kernel walks back from the final
matrices, recomputes pre^g_t from them, and undoes each update exactly
(W^g_{t-1} = W^g_t - beta^g_t e^g_t k^g_t^T, likewise for R^g; the choice and
its reasons are in `fwp_kernels.ops.common.triton_recurrent`).
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
from fwp_kernels.ops.delta_lstm.interface import delta_lstm_state_parts
from fwp_kernels.state import StateTuple, initial_state_parts


@triton.jit
def _preactivation(W, R, q, row, g, previous, D: tl.constexpr):
    """pre^g_t = W^g_t q^g_t + R^g_t softmax(h_{t-1}) for gate g of the [B, T, H, 3, D] row `row`."""
    return matvec(W, load_vector(q + (row * 3 + g) * D, D)) + matvec(R, previous)


@triton.jit
def _gate_forward(W, R, q, k, v, beta, rk, rv, rbeta, errors, recurrent_errors, row, g, previous, D: tl.constexpr):
    """The two delta rule steps of gate g -> (W^g_t, R^g_t, pre^g_t); stores e^g_t, f^g_t."""
    at = (row * 3 + g) * D
    W = delta_update_from(W, k, v, beta, errors, at, at, row * 3 + g, D, D)
    R = delta_update_from(R, rk, rv, rbeta, recurrent_errors, at, at, row * 3 + g, D, D)
    return W, R, _preactivation(W, R, q, row, g, previous, D)


@triton.jit
def _gate_backward(
    W, R, dW, dR, d_pre, previous,
    q, k, beta, rk, rbeta, errors, recurrent_errors,
    dq, dk, dv, dbeta, drk, drv, drbeta,
    row, g, D: tl.constexpr,
):
    """Backward through pre^g_t and the two delta rule steps of gate g, given d_pre = dL/dpre^g_t.

    Stores the gradients of gate g's inputs; returns (W^g_{t-1}, R^g_{t-1}, dL/dW^g_{t-1}, dL/dR^g_{t-1},
    the contribution of this gate to dL/dsoftmax(h_{t-1})).
    """
    at = (row * 3 + g) * D
    dW += outer(d_pre, load_vector(q + at, D))
    dR += outer(d_pre, previous)
    store_vector(dq + at, matvec_t(W, d_pre), D)
    d_previous = matvec_t(R, d_pre)
    W, dW = delta_update_backward_from(W, dW, k, beta, errors, dk, dv, dbeta, at, at, row * 3 + g, D, D)
    R, dR = delta_update_backward_from(R, dR, rk, rbeta, recurrent_errors, drk, drv, drbeta, at, at, row * 3 + g, D, D)
    return W, R, dW, dR, d_previous


@triton.jit
def _forward_kernel(
    q, k, v, beta, rk, rv, rbeta,  # inputs: [B, T, H, 3, D] x5 (q, k, v, rk, rv), [B, T, H, 3] x2
    W, R,  # float32 [B, H, 3, D, D]: the initial state on entry, the final one on exit
    hs, cs,  # [B, T + 1, H, D] float32: h_0, c_0 on entry at t = 0, h_t, c_t written at t
    errors, recurrent_errors,  # saved per step, float32 [B, T, H, 3, D]: e^g_t, f^g_t
    T, H, dim, D: tl.constexpr,
):
    """D: the head dim padded to a whole tile; dim: the real D (the softmax's range)."""
    pid = tl.program_id(0).to(tl.int64)
    b = pid // H
    h = pid % H
    real = tl.arange(0, D) < dim
    W_i = load_tile(W + (pid * 3 + 0) * D * D, D, D)
    W_u = load_tile(W + (pid * 3 + 1) * D * D, D, D)
    W_o = load_tile(W + (pid * 3 + 2) * D * D, D, D)
    R_i = load_tile(R + (pid * 3 + 0) * D * D, D, D)
    R_u = load_tile(R + (pid * 3 + 1) * D * D, D, D)
    R_o = load_tile(R + (pid * 3 + 2) * D * D, D, D)
    hidden = load_vector(hs + row_offset(b, 0, h, T + 1, H) * D, D)
    cell = load_vector(cs + row_offset(b, 0, h, T + 1, H) * D, D)
    for t in range(T):
        row = row_offset(b, t, h, T, H)
        previous = softmax(hidden, real)
        W_i, R_i, pre_i = _gate_forward(
            W_i, R_i, q, k, v, beta, rk, rv, rbeta, errors, recurrent_errors, row, 0, previous, D
        )
        W_u, R_u, pre_u = _gate_forward(
            W_u, R_u, q, k, v, beta, rk, rv, rbeta, errors, recurrent_errors, row, 1, previous, D
        )
        W_o, R_o, pre_o = _gate_forward(
            W_o, R_o, q, k, v, beta, rk, rv, rbeta, errors, recurrent_errors, row, 2, previous, D
        )
        input_gate = tl.sigmoid(pre_i)
        cell = input_gate * pre_u + (1.0 - input_gate) * cell
        hidden = cell * tl.sigmoid(pre_o)
        store_vector(hs + row_offset(b, t + 1, h, T + 1, H) * D, hidden, D)
        store_vector(cs + row_offset(b, t + 1, h, T + 1, H) * D, cell, D)
    store_tile(W + (pid * 3 + 0) * D * D, W_i, D, D)
    store_tile(W + (pid * 3 + 1) * D * D, W_u, D, D)
    store_tile(W + (pid * 3 + 2) * D * D, W_o, D, D)
    store_tile(R + (pid * 3 + 0) * D * D, R_i, D, D)
    store_tile(R + (pid * 3 + 1) * D * D, R_u, D, D)
    store_tile(R + (pid * 3 + 2) * D * D, R_o, D, D)


@triton.jit
def _backward_kernel(
    dhs,  # [B, T, H, D] float32: dL/dh_t from the output
    dW, dR,  # float32 [B, H, 3, D, D]: dL/dW_T, dL/dR_T on entry, dL/dW_0, dL/dR_0 on exit
    dh_last, dc_last,  # [B, H, D] float32: dL/dh_T, dL/dc_T on entry, dL/dh_0, dL/dc_0 on exit
    W, R,  # float32 [B, H, 3, D, D]: W_T, R_T
    hs, cs, errors, recurrent_errors,  # saved by the forward kernel
    q, k, beta, rk, rbeta,
    dq, dk, dv, dbeta, drk, drv, drbeta,  # float32 outputs, shaped like the inputs
    T, H, dim, D: tl.constexpr,
):
    pid = tl.program_id(0).to(tl.int64)
    b = pid // H
    h = pid % H
    real = tl.arange(0, D) < dim
    W_i = load_tile(W + (pid * 3 + 0) * D * D, D, D)
    W_u = load_tile(W + (pid * 3 + 1) * D * D, D, D)
    W_o = load_tile(W + (pid * 3 + 2) * D * D, D, D)
    R_i = load_tile(R + (pid * 3 + 0) * D * D, D, D)
    R_u = load_tile(R + (pid * 3 + 1) * D * D, D, D)
    R_o = load_tile(R + (pid * 3 + 2) * D * D, D, D)
    dW_i = load_tile(dW + (pid * 3 + 0) * D * D, D, D)
    dW_u = load_tile(dW + (pid * 3 + 1) * D * D, D, D)
    dW_o = load_tile(dW + (pid * 3 + 2) * D * D, D, D)
    dR_i = load_tile(dR + (pid * 3 + 0) * D * D, D, D)
    dR_u = load_tile(dR + (pid * 3 + 1) * D * D, D, D)
    dR_o = load_tile(dR + (pid * 3 + 2) * D * D, D, D)
    dh_carry = load_vector(dh_last + pid * D, D)
    dc_carry = load_vector(dc_last + pid * D, D)
    for step in range(T):
        t = T - 1 - step
        row = row_offset(b, t, h, T, H)
        previous = softmax(load_vector(hs + row_offset(b, t, h, T + 1, H) * D, D), real)
        cell_before = load_vector(cs + row_offset(b, t, h, T + 1, H) * D, D)
        cell = load_vector(cs + row_offset(b, t + 1, h, T + 1, H) * D, D)
        input_gate = tl.sigmoid(_preactivation(W_i, R_i, q, row, 0, previous, D))
        update = _preactivation(W_u, R_u, q, row, 1, previous, D)
        output_gate = tl.sigmoid(_preactivation(W_o, R_o, q, row, 2, previous, D))
        # h_t = c_t o_t,  c_t = i_t u_t + (1 - i_t) c_{t-1}
        dh = load_vector(dhs + row * D, D) + dh_carry
        dc = dc_carry + dh * output_gate
        d_pre_o = dh * cell * output_gate * (1.0 - output_gate)
        d_pre_i = dc * (update - cell_before) * input_gate * (1.0 - input_gate)
        d_pre_u = dc * input_gate
        dc_carry = dc * (1.0 - input_gate)
        W_i, R_i, dW_i, dR_i, d_previous_i = _gate_backward(
            W_i, R_i, dW_i, dR_i, d_pre_i, previous, q, k, beta, rk, rbeta, errors, recurrent_errors,
            dq, dk, dv, dbeta, drk, drv, drbeta, row, 0, D,
        )
        W_u, R_u, dW_u, dR_u, d_previous_u = _gate_backward(
            W_u, R_u, dW_u, dR_u, d_pre_u, previous, q, k, beta, rk, rbeta, errors, recurrent_errors,
            dq, dk, dv, dbeta, drk, drv, drbeta, row, 1, D,
        )
        W_o, R_o, dW_o, dR_o, d_previous_o = _gate_backward(
            W_o, R_o, dW_o, dR_o, d_pre_o, previous, q, k, beta, rk, rbeta, errors, recurrent_errors,
            dq, dk, dv, dbeta, drk, drv, drbeta, row, 2, D,
        )
        dh_carry = softmax_backward(previous, d_previous_i + d_previous_u + d_previous_o)
    store_tile(dW + (pid * 3 + 0) * D * D, dW_i, D, D)
    store_tile(dW + (pid * 3 + 1) * D * D, dW_u, D, D)
    store_tile(dW + (pid * 3 + 2) * D * D, dW_o, D, D)
    store_tile(dR + (pid * 3 + 0) * D * D, dR_i, D, D)
    store_tile(dR + (pid * 3 + 1) * D * D, dR_u, D, D)
    store_tile(dR + (pid * 3 + 2) * D * D, dR_o, D, D)
    store_vector(dh_last + pid * D, dh_carry, D)
    store_vector(dc_last + pid * D, dc_carry, D)


class DeltaLSTMFunction(torch.autograd.Function):
    """(q, k, v, beta, rk, rv, rbeta, W_0, R_0, h_0, c_0, dim) -> (h: [B, T, H, D] in the dtype of q, W_T, R_T,
    h_T, c_T).

    q, k, v, rk, rv: [B, T, H, 3, D]; beta, rbeta: [B, T, H, 3]; W_0, R_0: [B, H, 3, D, D];
    h_0, c_0: [B, H, D], with D padded to a whole tile; dim: the real D. The final state is float32;
    every tensor input gets a gradient in its own dtype.
    """

    @staticmethod
    def forward(ctx, q, k, v, beta, rk, rv, rbeta, W0, R0, h0, c0, dim):
        batch, seq_len, heads, _, tile = q.shape
        q, k, v, beta, rk, rv, rbeta = (x.contiguous() for x in (q, k, v, beta, rk, rv, rbeta))
        weights, recurrent = float32_copies(W0, R0)
        hs, cs = sequence_buffer(h0, seq_len), sequence_buffer(c0, seq_len)
        errors, recurrent_errors = (torch.empty_like(q, dtype=torch.float32) for _ in range(2))
        _forward_kernel[(batch * heads,)](
            q, k, v, beta, rk, rv, rbeta, weights, recurrent, hs, cs, errors, recurrent_errors, seq_len, heads, dim,
            tile, num_warps=num_warps_for(6 * tile * tile),  # W_i, W_u, W_o, R_i, R_u, R_o
        )
        ctx.save_for_backward(
            q, k, v, beta, rk, rv, rbeta, W0, R0, h0, c0, weights, recurrent, hs, cs, errors, recurrent_errors
        )
        ctx.dim = dim
        return steps_of(hs, q.dtype), weights, recurrent, hs[:, -1].clone(), cs[:, -1].clone()

    @staticmethod
    def backward(ctx, d_output, d_final_weights, d_final_recurrent, d_final_h, d_final_c):
        q, k, v, beta, rk, rv, rbeta, W0, R0, h0, c0, weights, recurrent, hs, cs, errors, recurrent_errors = (
            ctx.saved_tensors
        )
        batch, seq_len, heads, _, tile = q.shape
        dhs, dW, dR, dh_last, dc_last = float32_copies(
            d_output, d_final_weights, d_final_recurrent, d_final_h, d_final_c
        )
        dq, dk, dv, drk, drv = (torch.empty_like(errors) for _ in range(5))
        dbeta, drbeta = (torch.empty_like(beta, dtype=torch.float32) for _ in range(2))
        _backward_kernel[(batch * heads,)](
            dhs, dW, dR, dh_last, dc_last, weights, recurrent, hs, cs, errors, recurrent_errors,
            q, k, beta, rk, rbeta, dq, dk, dv, dbeta, drk, drv, drbeta, seq_len, heads, ctx.dim, tile,
            num_warps=num_warps_for(12 * tile * tile),  # the six matrices and their gradients
        )
        gradients = (dq, dk, dv, dbeta, drk, drv, drbeta, dW, dR, dh_last, dc_last)
        inputs = (q, k, v, beta, rk, rv, rbeta, W0, R0, h0, c0)
        return (*(gradient.to(x.dtype) for gradient, x in zip(gradients, inputs)), None)


def triton_fused_delta_lstm(
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
    """q, k, v, rk, rv: [B, T, H, 3, D]; beta, rbeta: [B, T, H, 3] -> (h: [B, T, H, D], (W, R, h, c)).

    Same arguments and results as `fwp_kernels.ops.delta_lstm.chunk.chunk_delta_lstm` (a recurrent kernel:
    `chunk_size` is accepted and unused); D at most fwp_kernels.backend.TRITON_MAX_HEAD_DIM (padded to a whole
    tile and cut back), q float32, bfloat16 or float16. The final state (W, R: [B, H, 3, D, D], h, c: [B, H, D])
    is float32.
    """
    dim = q.shape[-1]
    check_supported("delta_lstm", q, D=dim)
    W0, R0, h0, c0 = initial_state_parts(initial_state, delta_lstm_state_parts(q), q, torch.float32)
    q, k, v, rk, rv = (pad_to_tiles(x) for x in (q, k, v, rk, rv))
    output, weights, recurrent, h, c = DeltaLSTMFunction.apply(
        q, k, v, beta.contiguous(), rk, rv, rbeta.contiguous(),
        pad_to_tiles(W0, axes=2), pad_to_tiles(R0, axes=2), pad_to_tiles(h0), pad_to_tiles(c0), dim,
    )
    final_state = (cut(weights, dim, dim), cut(recurrent, dim, dim), cut(h, dim), cut(c, dim))
    return cut(output, dim), final_state if output_final_state else None
