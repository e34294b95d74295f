"""The Delta RNN in chunkwise form: only the softmax(y) recurrence is stepped.

W and R depend on the inputs only. Per chunk of C steps:

    Z = the chunkwise delta rule's output for (q, k, v, beta) from W   (all C steps at once)
    y_t = z_t + R_t softmax(y_{t-1})   for t in the chunk, with R_t read by `StepReadout`
    R_next = R + U_S^T RK              (U_S from the chunk's WY representation)

so each step costs two small matrix-vector products per head (O((D + C) D)),
and no per-step D x D matrix is formed or kept for autograd.

With resets (`fwp_kernels.resets`), the chunkwise delta rule and `StepReadout` mask
W and R by segment, and y is zeroed before a step that resets (y_0 = 0).
"""

from typing import Optional, Tuple

import torch

from fwp_kernels.chunking import iterate_chunks, merge_chunks, steps_per_chunk
from fwp_kernels.ops.delta_rule.chunk import delta_rule_chunk
from fwp_kernels.ops.delta_rule.step_readout import StepReadout
from fwp_kernels.precision import accumulation_dtype
from fwp_kernels.resets import chunk_resets
from fwp_kernels.ops.delta_rnn.interface import delta_rnn_state_parts
from fwp_kernels.state import StateTuple, initial_state_parts


def chunk_delta_rnn(
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
    reset: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[StateTuple]]:
    """q, k: [B, T, H, Dk]; v, rk, rv: [B, T, H, D]; beta, rbeta: [B, T, H] -> (y: [B, T, H, D], (W, R, y)).

    reset: [B, T] bool or None; reset[b, t] zeroes row b's W, R and y just before step t.
    """
    dtype = accumulation_dtype(q.dtype)
    seq_len = q.shape[1]
    weights, recurrent, y = initial_state_parts(initial_state, delta_rnn_state_parts(q, v), q, dtype)
    y = y.unsqueeze(-2)  # a row: [B, H, 1, D]

    outputs = []
    chunks = iterate_chunks((q, k, v, beta, rk, rv, rbeta), chunk_size, dtype)  # [B, H, C, ...]
    for steps, resets, (chunk_q, chunk_k, chunk_v, chunk_beta, *recurrent_inputs) in zip(
        steps_per_chunk(seq_len, chunk_size), chunk_resets(reset, chunk_size, dtype), chunks
    ):
        z, weights = delta_rule_chunk(chunk_q, chunk_k, chunk_v, chunk_beta, weights, resets)  # z: [B, H, C, D]
        readout = StepReadout(*recurrent_inputs, recurrent, resets)
        for t, z_t in enumerate(z.split(1, dim=2)[:steps]):  # rows [B, H, 1, D]; one split for autograd
            y = z_t + readout.read(t, torch.softmax(resets.restart(t, y), dim=-1))
            outputs.append(y)
        recurrent = readout.final_state()
    output = merge_chunks(outputs, seq_len, q.dtype)
    return output, (weights, recurrent, y.squeeze(-2)) if output_final_state else None
