"""The recurrent delta rule (RDN) as a loop over time steps (the reference for the fused loop).

Per batch element and head h, with W: [D, D] and y: [D] starting at the
initial state (zero by default), slow recurrent weights Rq, Rk, Rv: [D, D] and
rbeta: [D] of head h, and the feed-forward parts q, k, v, beta before activation:

    a_t    = tanh(y_{t-1})
    q'_t   = softmax(q_t + Rq a_t),    k'_t = softmax(k_t + Rk a_t)
    v'_t   = v_t + Rv a_t,             beta'_t = sigmoid(beta_t + rbeta . a_t)
    W_t    = W_{t-1} + beta'_t (v'_t - W_{t-1} k'_t) k'_t^T
    y_t    = W_t q'_t

With reset: [B, T] bool, W and y of the rows b with reset[b, t] are set to zero
before step t.
"""

from typing import Optional, Tuple

import torch

from fwp_kernels.ops.delta_rule.naive import delta_rule_update, read_out
from fwp_kernels.precision import accumulation_dtype
from fwp_kernels.resets import zero_rows
from fwp_kernels.ops.recurrent_delta_rule.interface import recurrent_delta_rule_state_parts
from fwp_kernels.state import StateTuple, initial_state_parts


def naive_recurrent_delta_rule(
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
    reset: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[StateTuple]]:
    """q, k, v: [B, T, H, D]; beta: [B, T, H]; Rq, Rk, Rv: [H, D, D]; rbeta: [H, D] -> (y: [B, T, H, D], (W, y))."""
    dtype = accumulation_dtype(q.dtype)
    weights, y = initial_state_parts(initial_state, recurrent_delta_rule_state_parts(q), q, dtype)
    Rq, Rk, Rv, rbeta = (x.to(dtype) for x in (Rq, Rk, Rv, rbeta))

    outputs = []
    for t in range(q.shape[1]):
        if reset is not None:
            weights, y = zero_rows(weights, reset[:, t]), zero_rows(y, reset[:, t])
        a = torch.tanh(y)  # [B, H, D]
        q_t = torch.softmax(q[:, t].to(dtype) + read_out(Rq, a), dim=-1)
        k_t = torch.softmax(k[:, t].to(dtype) + read_out(Rk, a), dim=-1)
        v_t = v[:, t].to(dtype) + read_out(Rv, a)
        beta_t = torch.sigmoid(beta[:, t].to(dtype) + (rbeta * a).sum(dim=-1))
        weights = delta_rule_update(weights, k_t, v_t, beta_t)
        y = read_out(weights, q_t)
        outputs.append(y)
    output = torch.stack(outputs, dim=1).to(q.dtype)
    return output, (weights, y) if output_final_state else None
