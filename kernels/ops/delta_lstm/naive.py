"""The Delta LSTM as a loop over time steps (the reference for the chunkwise form).

Per batch element, head and gate g in (input, update, output), with
W^g, R^g: [D, D] and h, c: [D] starting at the initial state (zero by default):

    W^g_t = W^g_{t-1} + beta^g_t (v^g_t - W^g_{t-1} k^g_t) k^g_t^T
    R^g_t = R^g_{t-1} + rbeta^g_t (rv^g_t - R^g_{t-1} rk^g_t) rk^g_t^T
    pre^g_t = W^g_t q^g_t + R^g_t softmax(h_{t-1})      (both read after the update)
    i_t = sigmoid(pre^i_t),  u_t = pre^u_t,  o_t = sigmoid(pre^o_t)
    c_t = i_t * u_t + (1 - i_t) * c_{t-1}
    h_t = c_t * o_t

With reset: [B, T] bool, W, R, h and c of the rows b with reset[b, t] are set
to zero before step t.
"""

from typing import Optional, Tuple

import torch

from fwp_kernels.ops.delta_rule.naive import delta_rule_update, read_out
from fwp_kernels.precision import accumulation_dtype
from fwp_kernels.resets import zero_rows
from fwp_kernels.ops.delta_lstm.interface import delta_lstm_state_parts
from fwp_kernels.state import StateTuple, initial_state_parts


def naive_delta_lstm(
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
    """q, k, v, rk, rv: [B, T, H, 3, D]; beta, rbeta: [B, T, H, 3] -> (h: [B, T, H, D], (W, R, h, c)).

    The gate axis (size 3) is ordered (input, update, output); W, R: [B, H, 3, D, D].
    """
    dtype = accumulation_dtype(q.dtype)
    weights, recurrent, h, c = initial_state_parts(initial_state, delta_lstm_state_parts(q), q, dtype)

    outputs = []
    for t in range(q.shape[1]):
        if reset is not None:
            weights, recurrent, h, c = (zero_rows(x, reset[:, t]) for x in (weights, recurrent, h, c))
        q_t, k_t, v_t, beta_t, rk_t, rv_t, rbeta_t = (x[:, t].to(dtype) for x in (q, k, v, beta, rk, rv, rbeta))
        weights = delta_rule_update(weights, k_t, v_t, beta_t)
        recurrent = delta_rule_update(recurrent, rk_t, rv_t, rbeta_t)
        previous = torch.softmax(h, dim=-1).unsqueeze(-2)  # [B, H, 1, D], the same for every gate
        input_pre, update, output_pre = (read_out(weights, q_t) + read_out(recurrent, previous)).unbind(dim=-2)
        input_gate, output_gate = torch.sigmoid(input_pre), torch.sigmoid(output_pre)
        c = input_gate * update + (1 - input_gate) * c
        h = c * output_gate
        outputs.append(h)
    output = torch.stack(outputs, dim=1).to(q.dtype)
    return output, (weights, recurrent, h, c) if output_final_state else None
