"""The public ops: validate the inputs, pick the backend, run it.

Layout: q, k: [B, T, H, Dk]; v: [B, T, H, Dv]; beta: [B, T, H]; outputs
[B, T, H, Dv]. Keys and queries arrive already feature-mapped and scaled.
Each op returns (output, final_state); final_state is None unless
output_final_state=True. Passing it as initial_state of the next call
continues the sequence exactly.

Precision: bfloat16/float16/float32 inputs are accumulated in float32, float64
in float64; the output has the input dtype, the final state the accumulation dtype.
"""

from typing import Optional, Tuple

import torch

from kernels.backend import select_implementation
from kernels.checks import (
    check_beta,
    check_chunk_size,
    check_fast_weights,
    check_linear_attention_state,
    check_sequences,
)
from kernels.state import LinearAttentionState


def linear_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    normalize: bool = False,
    eps: float = 1e-5,
    initial_state: Optional[LinearAttentionState] = None,
    output_final_state: bool = False,
    backend: str = "auto",
    chunk_size: int = 64,
) -> Tuple[torch.Tensor, Optional[LinearAttentionState]]:
    """Linear attention (the sum rule), per batch element and head:

        W_t = W_{t-1} + v_t k_t^T          W: [Dv, Dk]
        o_t = W_t q_t
        with normalize=True:  z_t = z_{t-1} + k_t,  o_t = W_t q_t / (z_t . q_t + eps)

    The state is W: [B, H, Dv, Dk], or the pair (W, z: [B, H, Dk]) when normalize=True.
    `chunk_size` is the number of steps the chunkwise form treats in parallel.
    """
    check_sequences(q, k, v)
    check_linear_attention_state(initial_state, normalize, q, v)
    check_chunk_size(chunk_size)
    run = select_implementation("linear_attention", backend)
    return run(
        q,
        k,
        v,
        normalize=normalize,
        eps=eps,
        initial_state=initial_state,
        output_final_state=output_final_state,
        chunk_size=chunk_size,
    )


def delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    backend: str = "auto",
    chunk_size: int = 64,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """The delta rule, per batch element and head:

        W_t = W_{t-1} + beta_t (v_t - W_{t-1} k_t) k_t^T      W: [Dv, Dk]
        o_t = W_t q_t                                          (read after the update)

    The state is W: [B, H, Dv, Dk].
    `chunk_size` is the number of steps the chunkwise form treats in parallel.
    """
    check_sequences(q, k, v)
    check_beta(beta, q)
    if initial_state is not None:
        check_fast_weights("initial_state", initial_state, q, v)
    check_chunk_size(chunk_size)
    run = select_implementation("delta_rule", backend)
    return run(
        q,
        k,
        v,
        beta,
        initial_state=initial_state,
        output_final_state=output_final_state,
        chunk_size=chunk_size,
    )
