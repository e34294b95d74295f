"""Building blocks shared by the fused recurrent Triton kernels (RDN, Delta RNN, Delta LSTM).

Each kernel runs one program per (batch, head) and keeps that head's fast
matrices ([D, D] tiles) in registers for the whole sequence, in float32,
spread over as many warps as keep them out of local memory
(`num_warps_for`). Head
dims up to TRITON_MAX_HEAD_DIM run padded to whole tiles
(`fwp_kernels.ops.common.tiles`); the kernels take the real head dim and mask
the padding out of every softmax over it. Vectors index a tile's rows (the value side, Dv) or
columns (the key side, Dk); a tile M: [Dv, Dk] is read out as M x (matvec) and
its transpose as M^T x (matvec_t).

The delta rule step shared by every fast matrix, with the error e_t:

    e_t = v_t - W_{t-1} k_t,        W_t = W_{t-1} + beta_t e_t k_t^T

Backward through the time steps without per-step matrices: the forward pass
stores the per-step vectors (k_t, e_t, beta_t, ...) and the final W_T; the
backward pass walks t = T..1 and recovers W_{t-1} by undoing the rank-one update,

    W_{t-1} = W_t - (beta_t e_t) k_t^T,

which only subtracts what the forward pass added: its error is the rounding of
that one product, whatever beta_t ||k_t||^2 is. (Inverting the whole step,
W_{t-1} = (W_t - beta_t v_t k_t^T)(I - beta_t k_t k_t^T)^{-1}, would divide by
1 - beta_t ||k_t||^2, which vanishes for beta_t ||k_t||^2 ~ 1; per-chunk
checkpoints would need an extra [D, D] store per chunk and a recomputation.)
The cost of storing e_t is one [D] vector per step and matrix.

Given dW = dL/dW_t (the read-outs after step t included), the step's backward is

    du = dW k_t          (u_t = beta_t e_t)
    dk_t = dW^T u_t - W_{t-1}^T (beta_t du)
    dv_t = beta_t du,    dbeta_t = du . e_t
    dL/dW_{t-1} = dW - dv_t k_t^T
"""

from typing import Tuple

import torch
import triton
import triton.language as tl

from fwp_kernels.backend import TRITON_MAX_HEAD_DIM

SUPPORTED_DTYPES = (torch.float32, torch.bfloat16, torch.float16)
# Float32 state values per thread that the recurrent kernels aim at: with more, the tiles spill to local memory.
STATE_VALUES_PER_THREAD = 64
MIN_WARPS, MAX_WARPS = 4, 32  # Triton's default; the most one program (a block of 1024 threads) can have


def num_warps_for(state_values: int) -> int:
    """The warps of a recurrent kernel whose program holds `state_values` float32 values in its tiles: a power
    of two giving each thread at most STATE_VALUES_PER_THREAD of them, within MIN_WARPS..MAX_WARPS.

    Compiled for sm_90 (benchmarks/kernel_resources.py, triton 3.7.1), the Delta LSTM backward at D = 128
    in bfloat16 (12 tiles) spilled 7.8 KB per thread with 8 warps and took 30 s to compile, 1.7 KB and 2 s
    with 32.
    """
    threads = triton.next_power_of_2(max(1, state_values // STATE_VALUES_PER_THREAD))
    return min(max(threads // 32, MIN_WARPS), MAX_WARPS)


def check_supported(op: str, q: torch.Tensor, **dims: int) -> None:
    """The kernels' limits: q of a SUPPORTED_DTYPES dtype (TypeError) and every named
    dimension at most TRITON_MAX_HEAD_DIM (ValueError)."""
    if q.dtype not in SUPPORTED_DTYPES:
        raise TypeError(f"the triton {op} kernel supports inputs of dtype {SUPPORTED_DTYPES}, got {q.dtype}")
    for name, dim in dims.items():
        if dim > TRITON_MAX_HEAD_DIM:
            raise ValueError(
                f"the triton {op} kernel takes head dimensions up to {TRITON_MAX_HEAD_DIM}, got {name}={dim} "
                "(use backend='torch', or backend='auto', which picks torch for this shape)"
            )


def float32_copies(*tensors: torch.Tensor) -> Tuple[torch.Tensor, ...]:
    """Contiguous float32 copies: the buffers the kernels overwrite (states, gradients), never the caller's tensors."""
    return tuple(x.to(torch.float32, memory_format=torch.contiguous_format, copy=True) for x in tensors)


def sequence_buffer(initial: torch.Tensor, seq_len: int) -> torch.Tensor:
    """[B, T + 1, H, D] float32 with the initial vector [B, H, D] at t = 0: the kernels write step t at t."""
    batch, heads, dim = initial.shape
    buffer = initial.new_empty(batch, seq_len + 1, heads, dim, dtype=torch.float32)
    buffer[:, 0] = initial
    return buffer


def steps_of(buffer: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Steps 1..T of a sequence_buffer as a new contiguous [B, T, H, D] tensor of `dtype`."""
    return buffer[:, 1:].to(dtype, memory_format=torch.contiguous_format, copy=True)


def sum_over_batch(partials: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A slow weight's gradient from per-(batch, head) partials [B, H, ...]: summed over B, in the dtype of `like`."""
    return partials.sum(dim=0).to(like.dtype)


@triton.jit
def row_offset(b, t, h, T, H):
    """The row index of step t of head h in a [B, T, H, ...] tensor."""
    return (b * T + t) * H + h


@triton.jit
def load_tile(ptr, ROWS: tl.constexpr, COLS: tl.constexpr):
    """A row-major [ROWS, COLS] tile at ptr, in float32."""
    rows = tl.arange(0, ROWS)
    cols = tl.arange(0, COLS)
    return tl.load(ptr + rows[:, None] * COLS + cols[None, :]).to(tl.float32)


@triton.jit
def store_tile(ptr, tile, ROWS: tl.constexpr, COLS: tl.constexpr):
    rows = tl.arange(0, ROWS)
    cols = tl.arange(0, COLS)
    tl.store(ptr + rows[:, None] * COLS + cols[None, :], tile)


@triton.jit
def load_vector(ptr, N: tl.constexpr):
    """N contiguous values at ptr, in float32."""
    return tl.load(ptr + tl.arange(0, N)).to(tl.float32)


@triton.jit
def store_vector(ptr, x, N: tl.constexpr):
    tl.store(ptr + tl.arange(0, N), x)


@triton.jit
def matvec(M, x):
    """M x for M: [R, C], x: [C] -> [R]."""
    return tl.sum(M * x[None, :], axis=1)


@triton.jit
def matvec_t(M, x):
    """M^T x for M: [R, C], x: [R] -> [C]."""
    return tl.sum(M * x[:, None], axis=0)


@triton.jit
def outer(x, y):
    """x y^T: [R], [C] -> [R, C]."""
    return x[:, None] * y[None, :]


@triton.jit
def softmax(x, real):
    """softmax over the entries where `real` is true (the real head dims); the padding gets 0."""
    x = tl.where(real, x, float("-inf"))
    e = tl.exp(x - tl.max(x, axis=0))
    return e / tl.sum(e, axis=0)


@triton.jit
def softmax_backward(p, dp):
    """dL/dx for p = softmax(x) and dp = dL/dp: p * (dp - p . dp)."""
    return p * (dp - tl.sum(p * dp, axis=0))


@triton.jit
def tanh(x):
    """tanh(x) = 2 sigmoid(2x) - 1."""
    return 2.0 * tl.sigmoid(2.0 * x) - 1.0


@triton.jit
def delta_update(W, k, v, beta):
    """One delta rule step -> (W_t, e_t): e_t = v - W k, W_t = W + beta e_t k^T."""
    error = v - matvec(W, k)
    return W + outer(beta * error, k), error


@triton.jit
def delta_update_backward(W, dW, k, error, beta):
    """Undo a delta rule step and backpropagate through it (see the module docstring).

    W = W_t, dW = dL/dW_t -> (W_{t-1}, dL/dW_{t-1}, dL/dk_t, dL/dv_t, dL/dbeta_t).
    """
    update = beta * error
    previous = W - outer(update, k)
    d_update = matvec(dW, k)
    dv = beta * d_update
    dk = matvec_t(dW, update) - matvec_t(previous, dv)
    dbeta = tl.sum(d_update * error, axis=0)
    return previous, dW - outer(dv, k), dk, dv, dbeta


@triton.jit
def delta_update_from(W, k, v, beta, errors, key_at, value_at, beta_at, DK: tl.constexpr, DV: tl.constexpr):
    """delta_update on k_t: [DK] at k + key_at, v_t: [DV] at v + value_at and beta_t at beta + beta_at.

    Stores e_t: [DV] at errors + value_at for the backward pass; returns W_t.
    """
    beta_t = tl.load(beta + beta_at).to(tl.float32)
    W, error = delta_update(W, load_vector(k + key_at, DK), load_vector(v + value_at, DV), beta_t)
    store_vector(errors + value_at, error, DV)
    return W


@triton.jit
def delta_update_backward_from(
    W, dW, k, beta, errors, dk, dv, dbeta, key_at, value_at, beta_at, DK: tl.constexpr, DV: tl.constexpr
):
    """delta_update_backward on the step saved by delta_update_from at the same offsets.

    Stores dL/dk_t, dL/dv_t, dL/dbeta_t at dk, dv, dbeta (float32, laid out like k, v, beta);
    returns (W_{t-1}, dL/dW_{t-1}).
    """
    beta_t = tl.load(beta + beta_at).to(tl.float32)
    key = load_vector(k + key_at, DK)
    W, dW, d_key, d_value, d_beta = delta_update_backward(W, dW, key, load_vector(errors + value_at, DV), beta_t)
    store_vector(dk + key_at, d_key, DK)
    store_vector(dv + value_at, d_value, DV)
    tl.store(dbeta + beta_at, d_beta)
    return W, dW
