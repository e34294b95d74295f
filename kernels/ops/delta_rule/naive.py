"""The delta rule as a loop over time steps (the reference for the chunkwise form).

Per batch element and head, with W: [Dv, Dk] starting at the initial state
(zero by default):

    W_t = W_{t-1} + beta_t (v_t - W_{t-1} k_t) k_t^T
    o_t = W_t q_t                      (read after the update)

With reset: [B, T] bool, W of the rows b with reset[b, t] is set to zero before step t.
"""

from typing import Optional, Tuple

import torch

from fwp_kernels.precision import accumulation_dtype
from fwp_kernels.resets import zero_rows
from fwp_kernels.state import initial_fast_weights


def read_out(fast_weights: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """W x: W [..., Dv, Dk], x [..., Dk] -> [..., Dv]."""
    return torch.einsum("...vk,...k->...v", fast_weights, x)


def delta_rule_update(
    fast_weights: torch.Tensor, k_t: torch.Tensor, v_t: torch.Tensor, beta_t: torch.Tensor
) -> torch.Tensor:
    """One step W_{t-1} -> W_t = W_{t-1} + beta_t (v_t - W_{t-1} k_t) k_t^T.

    W: [..., Dv, Dk], k_t: [..., Dk], v_t: [..., Dv], beta_t: [...].
    """
    error = v_t - read_out(fast_weights, k_t)
    return fast_weights + (beta_t.unsqueeze(-1) * error).unsqueeze(-1) * k_t.unsqueeze(-2)


def naive_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    reset: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """q, k: [B, T, H, Dk]; v: [B, T, H, Dv]; beta: [B, T, H] -> (o: [B, T, H, Dv], W: [B, H, Dv, Dk])."""
    dtype = accumulation_dtype(q.dtype)
    fast_weights = initial_fast_weights(initial_state, k, v, dtype)

    outputs = []
    for t in range(q.shape[1]):
        if reset is not None:
            fast_weights = zero_rows(fast_weights, reset[:, t])
        q_t, k_t, v_t, beta_t = (x[:, t].to(dtype) for x in (q, k, v, beta))
        fast_weights = delta_rule_update(fast_weights, k_t, v_t, beta_t)
        outputs.append(read_out(fast_weights, q_t))
    output = torch.stack(outputs, dim=1).to(q.dtype)
    return output, fast_weights if output_final_state else None
