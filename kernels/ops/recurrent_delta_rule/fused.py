"""The recurrent delta rule (RDN) as a lean loop over time steps (the "torch" backend).

A true RNN: q, k, v and beta of step t depend on y_{t-1}, so nothing is
sequence-parallel. The loop does the least work per step:

- the four recurrent slow weights are one matrix R = [Rq; Rk; Rv; rbeta]:
  [H, 3D+1, D], so the recurrent parts of all of q, k, v, beta are one batched
  matrix product with a_t = tanh(y_{t-1}), added to the feed-forward parts
  x_t = [q_t; k_t; v_t; beta_t] in the same call (baddbmm);
- everything is laid out head-major ([H, B, ...] and [T, H, B, 3D+1]) once, so
  each step is a contiguous slice and the products are plain batched matmuls;
- the fast weights are kept transposed, S = W^T: [Dk, Dv], so a row k^T
  reads (W k)^T = k^T S, and the update S + k (beta (v - W k))^T is one
  broadcast multiply-add (addcmul, measured faster on CPU than a batched
  rank-one matmul); no tensor is modified in place (autograd keeps each step's S);
- with `reset`, W and y of the rows that reset at step t are zeroed before it
  (`fwp_kernels.resets.zero_rows`, on the batch dim of the head-major layout).

The equations are those of `fwp_kernels.ops.recurrent_delta_rule.naive`.
"""

from typing import Optional, Tuple

import torch

from fwp_kernels.precision import accumulation_dtype
from fwp_kernels.resets import zero_rows
from fwp_kernels.ops.recurrent_delta_rule.interface import recurrent_delta_rule_state_parts
from fwp_kernels.state import StateTuple, initial_state_parts


def fused_recurrent_delta_rule(
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
    """q, k, v: [B, T, H, D]; beta: [B, T, H]; Rq, Rk, Rv: [H, D, D]; rbeta: [H, D] -> (y: [B, T, H, D], (W, y)).

    reset: [B, T] bool or None; reset[b, t] zeroes row b's W and y just before step t.
    """
    dtype = accumulation_dtype(q.dtype)
    batch, seq_len, heads, dim = q.shape
    weights, y = initial_state_parts(initial_state, recurrent_delta_rule_state_parts(q), q, dtype)

    # x_t = [q_t; k_t; v_t; beta_t] for all t: [T, H, B, 3D+1]
    feed_forward = torch.cat([q, k, v, beta.unsqueeze(-1)], dim=-1).to(dtype).permute(1, 2, 0, 3).contiguous()
    # R^T = [Rq; Rk; Rv; rbeta]^T: [H, D, 3D+1], so that a^T R^T = (R a)^T for rows a^T: [H, B, D]
    recurrent_weights = torch.cat([Rq, Rk, Rv, rbeta.unsqueeze(1)], dim=1).to(dtype).transpose(1, 2)
    state = weights.permute(1, 0, 3, 2).reshape(heads * batch, dim, dim)  # S = W^T: [H*B, Dk, Dv]
    y = y.transpose(0, 1)  # [H, B, D]

    outputs = []
    for t, x_t in enumerate(feed_forward.unbind(0)):  # one unbind: its backward stacks the step gradients once
        if reset is not None:
            y = zero_rows(y, reset[:, t], dim=1)
            state = zero_rows(state.view(heads, batch, dim, dim), reset[:, t], dim=1).view(heads * batch, dim, dim)
        mixed = torch.baddbmm(x_t, torch.tanh(y), recurrent_weights)  # x_t + R a_t: [H, B, 3D+1]
        query_key, value, beta_t = mixed.reshape(heads * batch, 1, 3 * dim + 1).split([2 * dim, dim, 1], dim=-1)
        query, key = torch.softmax(query_key.reshape(-1, 2, dim), dim=-1).split(1, dim=1)  # rows: [H*B, 1, D]
        error = torch.sigmoid(beta_t) * (value - torch.bmm(key, state))  # (beta (v - W k))^T: [H*B, 1, D]
        state = torch.addcmul(state, key.transpose(1, 2), error)  # S + k error^T (a broadcast outer product)
        y = torch.bmm(query, state).reshape(heads, batch, dim)  # (W q)^T
        outputs.append(y)
    output = torch.stack(outputs).permute(2, 0, 1, 3).contiguous().to(q.dtype)  # [T, H, B, D] -> [B, T, H, D]
    if not output_final_state:
        return output, None
    return output, (state.reshape(heads, batch, dim, dim).permute(1, 0, 3, 2), y.transpose(0, 1))
