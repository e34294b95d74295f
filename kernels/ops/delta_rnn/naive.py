"""The Delta RNN as a loop over time steps (the reference for the chunkwise form).

Per batch element and head, with W: [D, Dk], R: [D, D] and y: [D] starting
at the initial state (zero by default; softmax(y_0) is then uniform):

    W_t = W_{t-1} + beta_t (v_t - W_{t-1} k_t) k_t^T
    R_t = R_{t-1} + rbeta_t (rv_t - R_{t-1} rk_t) rk_t^T
    y_t = W_t q_t + R_t softmax(y_{t-1})       (both read after the update)

With reset: [B, T] bool, W, R and y of the rows b with reset[b, t] are set to
zero before step t.
"""

from typing import Optional, Tuple

import torch

from fwp_kernels.ops.delta_rule.naive import delta_rule_update, read_out
from fwp_kernels.precision import accumulation_dtype
from fwp_kernels.resets import zero_rows
from fwp_kernels.ops.delta_rnn.interface import delta_rnn_state_parts
from fwp_kernels.state import StateTuple, initial_state_parts


def naive_delta_rnn(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    rk: torch.Tensor,
    rv: torch.Tensor,
    rbeta: torch.Tensor,
    initial_state: Optional[StateTuple] = None,
    output_final_state: bool = False,
    reset: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[StateTuple]]:
    """q, k: [B, T, H, Dk]; v, rk, rv: [B, T, H, D]; beta, rbeta: [B, T, H] -> (y: [B, T, H, D], (W, R, y))."""
    dtype = accumulation_dtype(q.dtype)
    weights, recurrent, y = initial_state_parts(initial_state, delta_rnn_state_parts(q, v), q, dtype)

    outputs = []
    for t in range(q.shape[1]):
        if reset is not None:
            weights, recurrent, y = (zero_rows(x, reset[:, t]) for x in (weights, recurrent, y))
        q_t, k_t, v_t, beta_t, rk_t, rv_t, rbeta_t = (x[:, t].to(dtype) for x in (q, k, v, beta, rk, rv, rbeta))
        weights = delta_rule_update(weights, k_t, v_t, beta_t)
        recurrent = delta_rule_update(recurrent, rk_t, rv_t, rbeta_t)
        y = read_out(weights, q_t) + read_out(recurrent, torch.softmax(y, dim=-1))
        outputs.append(y)
    output = torch.stack(outputs, dim=1).to(q.dtype)
    return output, (weights, recurrent, y) if output_final_state else None
