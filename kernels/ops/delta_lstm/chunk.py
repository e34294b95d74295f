"""The Delta LSTM in chunkwise form: only the gated recurrence on (h, c) is stepped.

The six fast weight matrices per head (W^g, R^g for g in input, update,
output) depend on the inputs only. The gate axis is folded into the heads, so
the three feed-forward matrices are one chunkwise delta rule over 3H heads, and
the three recurrent ones are read by one `StepReadout` at softmax(h_{t-1}):

    Z^g = the chunkwise delta rule's output for (q^g, k^g, v^g, beta^g) from W^g
    pre^g_t = z^g_t + R^g_t softmax(h_{t-1})          for t in the chunk
    c_t = c_{t-1} + sigmoid(pre^i_t) (pre^u_t - c_{t-1})    (= i u + (1 - i) c)
    h_t = c_t sigmoid(pre^o_t)
    R^g_next = R^g + U_S^T RK                          (at the chunk end)

With resets (`fwp_kernels.resets`), the chunkwise delta rule and `StepReadout` mask
W^g and R^g by segment, and h and c are zeroed before a step that resets.
"""

from typing import Optional, Tuple

import torch

from fwp_kernels.chunking import iterate_chunks, merge_chunks, steps_per_chunk
from fwp_kernels.ops.delta_rule.chunk import delta_rule_chunk
from fwp_kernels.ops.delta_rule.step_readout import StepReadout
from fwp_kernels.precision import accumulation_dtype
from fwp_kernels.resets import chunk_resets
from fwp_kernels.ops.delta_lstm.interface import delta_lstm_state_parts
from fwp_kernels.state import StateTuple, initial_state_parts


def chunk_delta_lstm(
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
    """q, k, v, rk, rv: [B, T, H, 3, D]; beta, rbeta: [B, T, H, 3] -> (h: [B, T, H, D], (W, R, h, c)).

    The gate axis (size 3) is ordered (input, update, output); W, R: [B, H, 3, D, D].
    reset: [B, T] bool or None; reset[b, t] zeroes row b's W, R, h and c just before step t.
    """
    dtype = accumulation_dtype(q.dtype)
    seq_len, heads, gates = q.shape[1:4]
    weights, recurrent, h, c = initial_state_parts(initial_state, delta_lstm_state_parts(q), q, dtype)
    weights = weights.flatten(1, 2)  # gates folded into heads: [B, 3H, D, D]
    h, c = h.unsqueeze(-2), c.unsqueeze(-2)  # rows: [B, H, 1, D]

    def unfold_gates(x: torch.Tensor) -> torch.Tensor:
        """[B, 3H, ...] -> [B, H, 3, ...]"""
        return x.unflatten(1, (heads, gates))

    outputs = []
    folded_inputs = (x.flatten(2, 3) for x in (q, k, v, beta, rk, rv, rbeta))  # [B, T, 3H, ...]
    chunks = iterate_chunks(tuple(folded_inputs), chunk_size, dtype)  # [B, 3H, C, ...]
    for steps, resets, (chunk_q, chunk_k, chunk_v, chunk_beta, *recurrent_inputs) in zip(
        steps_per_chunk(seq_len, chunk_size), chunk_resets(reset, chunk_size, dtype), chunks
    ):
        z, weights = delta_rule_chunk(chunk_q, chunk_k, chunk_v, chunk_beta, weights, resets)
        z = unfold_gates(z)  # [B, H, 3, C, D]
        readout = StepReadout(*map(unfold_gates, recurrent_inputs), recurrent, resets)
        for t, z_t in enumerate(z.split(1, dim=3)[:steps]):  # [B, H, 3, 1, D]; one split for autograd
            h, c = resets.restart(t, h), resets.restart(t, c)
            previous = torch.softmax(h, dim=-1).unsqueeze(2)  # [B, H, 1, 1, D], the same for every gate
            input_pre, update, output_pre = (z_t + readout.read(t, previous)).unbind(dim=2)
            c = c + torch.sigmoid(input_pre) * (update - c)
            h = c * torch.sigmoid(output_pre)
            outputs.append(h)
        recurrent = readout.final_state()
    output = merge_chunks(outputs, seq_len, q.dtype)
    if not output_final_state:
        return output, None
    return output, (unfold_gates(weights), recurrent, h.squeeze(-2), c.squeeze(-2))
