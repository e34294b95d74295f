"""The chunkwise recurrence shared by linear attention and the delta rule, in Triton.

Per batch element and head, with the fast weights S: [Dv, Dk] before a chunk
and the chunk's rows Q, K: [C, Dk], U: [C, Dv] and (delta rule only) W: [C, Dk]:

    U_S    = U - W S^T                       (linear attention: no W, U_S = U = V)
    P      = tril(Q K^T)                     (the diagonal kept: read after the update)
    O      = Q S^T + P U_S
    S_next = S + U_S^T K

For the delta rule, W and U are the WY factors of the chunk (computed in torch,
see `fwp_kernels.ops.delta_rule.triton`); for linear attention U is V. The gradients,
with G = dL/dS_next and dO = dL/dO:

    dP  = tril(dO U_S^T)
    dU  = P^T dO + K G^T                     (= dL/dU_S)
    dK  = U_S G + dP^T Q
    dQ  = dO S + dP K
    dW  = -dU S
    G_prev = G + dO^T Q - dU^T W             (dL/dS before the chunk)

Every row of S (a value dim) evolves on its own: U_S, O and S_next restricted
to a block of value dims need only that block of S, U and dO. So one program
per (batch, head, block of VALUE_BLOCK value dims) walks the chunks in order
(forward) or in reverse (backward) with its rows of S or G in float32
registers, which keeps a program's tiles within a GPU's shared memory at large
head dims. In the backward, dP, dK, dQ and dW sum over the value dims: each
block writes its share, [NV, ...] float32, and the shares are added after the
kernel (NV = 1 up to Dv = 64).

Any head dim up to TRITON_MAX_HEAD_DIM runs: Dk and Dv are padded with zeros to
whole tiles, which leaves every real entry exact, and cut back after
(`fwp_kernels.ops.common.tiles`).

Memory kept between forward and backward is the inputs, O(T * D) per head. The
backward first reruns the forward sweep to store the state before each chunk,
[B, H, N, Dv, Dk] float32 (N = T / C chunks), which lives only during the
backward.
"""

from typing import Optional, Tuple

import torch
import triton
import triton.language as tl

from fwp_kernels.backend import TRITON_MAX_HEAD_DIM
from fwp_kernels.ops.common.tiles import cut, pad_to_tiles, tile_dim

# Chunk sizes the kernels take: whole tl.dot tiles (>= 16, powers of two).
SUPPORTED_CHUNK_SIZES = (16, 32, 64, 128)
# The longest chunk the kernels run, by the larger padded head dim: what keeps a program's tiles within
# the shared memory of an sm_80 or sm_90 GPU (benchmarks/kernel_resources.py; compiled figures in
# benchmarks/RESULTS.md). A longer chunk_size is run as chunks of this length: the same result up to rounding.
LONGEST_CHUNK = {16: 64, 32: 64, 64: 64, 128: 32}
# The value dims one program holds (its rows of the state S: [VALUE_BLOCK, Dk]).
VALUE_BLOCK = 64


@triton.jit
def _chunk_forward_kernel(
    q, k, u, w, initial_state, output, final_state, states,
    num_chunks,
    C: tl.constexpr, DK: tl.constexpr, DV: tl.constexpr, BV: tl.constexpr,
    HAS_W: tl.constexpr, HAS_INITIAL_STATE: tl.constexpr, STORE_STATES: tl.constexpr,
    PRECISION: tl.constexpr,
):
    """q, k, w: [BH, N, C, DK]; u, output: [BH, N, C, DV]; states: [BH, N, DV, DK]; *_state: [BH, DV, DK].
    Program (head, block) computes value dims block * BV ... block * BV + BV - 1."""
    head = tl.program_id(0)
    values = tl.program_id(1) * BV + tl.arange(0, BV)
    rows = tl.arange(0, C)
    key_tile = rows[:, None] * DK + tl.arange(0, DK)[None, :]
    value_tile = rows[:, None] * DV + values[None, :]
    state_tile = values[:, None] * DK + tl.arange(0, DK)[None, :]
    causal = rows[:, None] >= rows[None, :]

    if HAS_INITIAL_STATE:
        state = tl.load(initial_state + head * DV * DK + state_tile).to(tl.float32)
    else:
        state = tl.zeros([BV, DK], dtype=tl.float32)
    for n in range(num_chunks):
        chunk = head * num_chunks + n
        if STORE_STATES:
            tl.store(states + chunk * DV * DK + state_tile, state)
        chunk_q = tl.load(q + chunk * C * DK + key_tile).to(tl.float32)
        chunk_k = tl.load(k + chunk * C * DK + key_tile).to(tl.float32)
        updates = tl.load(u + chunk * C * DV + value_tile).to(tl.float32)
        if HAS_W:
            chunk_w = tl.load(w + chunk * C * DK + key_tile).to(tl.float32)
            updates -= tl.dot(chunk_w, tl.trans(state), input_precision=PRECISION)
        scores = tl.where(causal, tl.dot(chunk_q, tl.trans(chunk_k), input_precision=PRECISION), 0.0)
        out = tl.dot(chunk_q, tl.trans(state), input_precision=PRECISION)
        out += tl.dot(scores, updates, input_precision=PRECISION)
        tl.store(output + chunk * C * DV + value_tile, out.to(output.dtype.element_ty))
        state += tl.dot(tl.trans(updates), chunk_k, input_precision=PRECISION)
    tl.store(final_state + head * DV * DK + state_tile, state)


@triton.jit
def _chunk_backward_kernel(
    q, k, u, w, states, grad_output, grad_final_state,
    grad_q, grad_k, grad_u, grad_w, grad_initial_state,
    num_chunks, num_heads,
    C: tl.constexpr, DK: tl.constexpr, DV: tl.constexpr, BV: tl.constexpr,
    HAS_W: tl.constexpr, HAS_GRAD_FINAL_STATE: tl.constexpr,
    PRECISION: tl.constexpr,
):
    """The reverse sweep: layouts as in _chunk_forward_kernel; grad_u, grad_initial_state like u and the
    state; grad_q, grad_k, grad_w: [NV, BH, N, C, DK] float32, each value block's share."""
    head = tl.program_id(0)
    block = tl.program_id(1)
    values = block * BV + tl.arange(0, BV)
    rows = tl.arange(0, C)
    key_tile = rows[:, None] * DK + tl.arange(0, DK)[None, :]
    value_tile = rows[:, None] * DV + values[None, :]
    state_tile = values[:, None] * DK + tl.arange(0, DK)[None, :]
    causal = rows[:, None] >= rows[None, :]
    shares = block.to(tl.int64) * num_heads * num_chunks * C * DK  # this block's share in grad_q, grad_k, grad_w

    if HAS_GRAD_FINAL_STATE:
        grad_state = tl.load(grad_final_state + head * DV * DK + state_tile).to(tl.float32)
    else:
        grad_state = tl.zeros([BV, DK], dtype=tl.float32)
    for step in range(num_chunks):
        chunk = head * num_chunks + num_chunks - 1 - step
        state = tl.load(states + chunk * DV * DK + state_tile)
        chunk_q = tl.load(q + chunk * C * DK + key_tile).to(tl.float32)
        chunk_k = tl.load(k + chunk * C * DK + key_tile).to(tl.float32)
        updates = tl.load(u + chunk * C * DV + value_tile).to(tl.float32)
        chunk_grad_output = tl.load(grad_output + chunk * C * DV + value_tile).to(tl.float32)
        if HAS_W:
            chunk_w = tl.load(w + chunk * C * DK + key_tile).to(tl.float32)
            updates -= tl.dot(chunk_w, tl.trans(state), input_precision=PRECISION)
        scores = tl.where(causal, tl.dot(chunk_q, tl.trans(chunk_k), input_precision=PRECISION), 0.0)
        grad_scores = tl.where(
            causal, tl.dot(chunk_grad_output, tl.trans(updates), input_precision=PRECISION), 0.0
        )
        grad_updates = tl.dot(tl.trans(scores), chunk_grad_output, input_precision=PRECISION)
        grad_updates += tl.dot(chunk_k, tl.trans(grad_state), input_precision=PRECISION)
        chunk_grad_k = tl.dot(updates, grad_state, input_precision=PRECISION)
        chunk_grad_k += tl.dot(tl.trans(grad_scores), chunk_q, input_precision=PRECISION)
        chunk_grad_q = tl.dot(chunk_grad_output, state, input_precision=PRECISION)
        chunk_grad_q += tl.dot(grad_scores, chunk_k, input_precision=PRECISION)
        tl.store(grad_q + shares + chunk * C * DK + key_tile, chunk_grad_q)
        tl.store(grad_k + shares + chunk * C * DK + key_tile, chunk_grad_k)
        tl.store(grad_u + chunk * C * DV + value_tile, grad_updates.to(grad_u.dtype.element_ty))
        grad_state += tl.dot(tl.trans(chunk_grad_output), chunk_q, input_precision=PRECISION)
        if HAS_W:
            chunk_grad_w = -tl.dot(grad_updates, state, input_precision=PRECISION)
            tl.store(grad_w + shares + chunk * C * DK + key_tile, chunk_grad_w)
            grad_state -= tl.dot(tl.trans(grad_updates), chunk_w, input_precision=PRECISION)
    tl.store(grad_initial_state + head * DV * DK + state_tile, grad_state)


def check_head_dims(key_dim: int, value_dim: int) -> None:
    """Raise ValueError unless both head dims are at most TRITON_MAX_HEAD_DIM."""
    for name, size in (("key head dim Dk", key_dim), ("value head dim Dv", value_dim)):
        if size > TRITON_MAX_HEAD_DIM:
            raise ValueError(
                f"the triton backend takes head dims up to {TRITON_MAX_HEAD_DIM}; got {name} = {size} "
                "(use backend='torch', or backend='auto', which picks torch for this shape)"
            )


def check_kernel_chunk_size(chunk_size: int) -> None:
    """Raise ValueError unless the chunk size is one the chunkwise kernels take."""
    if chunk_size not in SUPPORTED_CHUNK_SIZES:
        raise ValueError(f"the triton backend supports chunk_size in {SUPPORTED_CHUNK_SIZES}; got {chunk_size}")


def kernel_chunk_size(chunk_size: int, key_dim: int, value_dim: int) -> int:
    """The chunk length the kernels run for a requested chunk_size: at most LONGEST_CHUNK of the larger tile."""
    return min(chunk_size, LONGEST_CHUNK[max(tile_dim(key_dim), tile_dim(value_dim))])


def dot_precision(dtype: torch.dtype) -> str:
    """Exact float32 products for float32 inputs; tf32 (more mantissa than bf16/fp16) for half inputs."""
    return "ieee" if dtype == torch.float32 else "tf32"


def dot_warps(precision: str) -> int:
    """Warps of a chunkwise kernel: with exact float32 products ("ieee": float32 operand tiles, no tensor cores)
    the tiles need about twice the registers of tf32 ones and spill with Triton's default 4 warps (the delta
    rule's backward at D = 64: 24 KB of stack per thread, 4 KB with 8; benchmarks/kernel_resources.py, sm_90).
    8 for them, 4 otherwise."""
    return 8 if precision == "ieee" else 4


def value_blocks(value_dim: int) -> Tuple[int, int]:
    """(VALUE_BLOCK-sized block, number of blocks) for a padded value dim."""
    block = min(value_dim, VALUE_BLOCK)
    return block, value_dim // block


def launch_forward(q, k, u, w, initial_state, store_states: bool):
    """Run the forward sweep on padded tensors -> (output like u, final state [B, H, Dv, Dk] float32,
    states or None)."""
    batch, heads, num_chunks, chunk_size, key_dim = q.shape
    value_dim = u.shape[-1]
    block, num_blocks = value_blocks(value_dim)
    output = torch.empty_like(u)
    final_state = q.new_empty(batch, heads, value_dim, key_dim, dtype=torch.float32)
    states = (
        q.new_empty(batch, heads, num_chunks, value_dim, key_dim, dtype=torch.float32) if store_states else None
    )
    _chunk_forward_kernel[(batch * heads, num_blocks)](
        q, k, u, w if w is not None else u, initial_state if initial_state is not None else final_state,
        output, final_state, states if states is not None else final_state,
        num_chunks,
        C=chunk_size, DK=key_dim, DV=value_dim, BV=block,
        HAS_W=w is not None, HAS_INITIAL_STATE=initial_state is not None, STORE_STATES=store_states,
        PRECISION=dot_precision(q.dtype),
        num_stages=1,  # no multi-buffered loads: the float32 tiles alone fill much of the shared memory
        num_warps=dot_warps(dot_precision(q.dtype)),
    )
    return output, final_state, states


class ChunkRecurrence(torch.autograd.Function):
    """(q, k, u, w or None, S_0 or None) chunked [B, H, N, C, D], head dims whole tiles
    -> (O like u, S_final [B, H, Dv, Dk] float32)."""

    @staticmethod
    def forward(ctx, q, k, u, w, initial_state):
        output, final_state, _ = launch_forward(q, k, u, w, initial_state, store_states=False)
        ctx.save_for_backward(q, k, u, w, initial_state)
        return output, final_state

    @staticmethod
    def backward(ctx, grad_output, grad_final_state):
        q, k, u, w, initial_state = ctx.saved_tensors
        _, _, states = launch_forward(q, k, u, w, initial_state, store_states=True)
        batch, heads, num_chunks, chunk_size, key_dim = q.shape
        block, num_blocks = value_blocks(u.shape[-1])
        shares = [q.new_empty(num_blocks, *q.shape, dtype=torch.float32) for _ in range(3 if w is not None else 2)]
        grad_u = torch.empty_like(u)
        grad_initial_state = torch.empty_like(states[:, :, 0])
        _chunk_backward_kernel[(batch * heads, num_blocks)](
            q, k, u, w if w is not None else u, states, grad_output.contiguous(),
            grad_final_state.contiguous() if grad_final_state is not None else states,
            shares[0], shares[1], grad_u, shares[-1], grad_initial_state,
            num_chunks, batch * heads,
            C=chunk_size, DK=key_dim, DV=u.shape[-1], BV=block,
            HAS_W=w is not None, HAS_GRAD_FINAL_STATE=grad_final_state is not None,
            PRECISION=dot_precision(q.dtype),
            num_stages=1,
            num_warps=dot_warps(dot_precision(q.dtype)),
        )
        grad_q, grad_k, *grad_w = (share.sum(dim=0).to(x.dtype) for share, x in zip(shares, (q, k, w)))
        if initial_state is None:
            grad_initial_state = None
        else:
            grad_initial_state = grad_initial_state.to(initial_state.dtype)
        return grad_q, grad_k, grad_u, grad_w[0] if grad_w else None, grad_initial_state


def chunk_recurrence(
    q: torch.Tensor, k: torch.Tensor, u: torch.Tensor, w: Optional[torch.Tensor], initial_state: Optional[torch.Tensor]
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Chunked q, k: [B, H, N, C, Dk], u: [B, H, N, C, Dv], w: like k or None, S_0: [B, H, Dv, Dk] or None
    -> (O: [B, H, N, C, Dv] in u's dtype, S_final: [B, H, Dv, Dk] float32). Differentiable in every input.
    Dk and Dv (at most TRITON_MAX_HEAD_DIM) are padded to whole tiles for the kernels and cut back after."""
    key_dim, value_dim = q.shape[-1], u.shape[-1]
    q, k, w = (pad_to_tiles(x) if x is not None else None for x in (q, k, w))
    initial_state = pad_to_tiles(initial_state, axes=2) if initial_state is not None else None
    output, final_state = ChunkRecurrence.apply(q, k, pad_to_tiles(u), w, initial_state)
    return cut(output, value_dim), cut(final_state, value_dim, key_dim)
