"""Linear attention as a loop over time steps (the reference for the chunkwise form).

Per batch element and head, with W: [Dv, Dk] and z: [Dk] starting at the
initial state (zero by default):

    W_t = W_{t-1} + v_t k_t^T
    z_t = z_{t-1} + k_t
    o_t = W_t q_t                      (normalize=False)
    o_t = W_t q_t / (z_t . q_t + eps)  (normalize=True)

With reset: [B, T] bool, W and z of the rows b with reset[b, t] are set to zero
before step t.
"""

from typing import Optional, Tuple

import torch

from fwp_kernels.precision import accumulation_dtype
from fwp_kernels.resets import zero_rows
from fwp_kernels.state import LinearAttentionState, initial_linear_attention_state


def naive_linear_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    normalize: bool = False,
    eps: float = 1e-5,
    initial_state: Optional[LinearAttentionState] = None,
    output_final_state: bool = False,
    reset: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[LinearAttentionState]]:
    """q, k: [B, T, H, Dk]; v: [B, T, H, Dv] -> (o: [B, T, H, Dv], final state).

    The state is W: [B, H, Dv, Dk], or the pair (W, z: [B, H, Dk]) when normalize=True.
    """
    dtype = accumulation_dtype(q.dtype)
    fast_weights, key_sum = initial_linear_attention_state(initial_state, normalize, k, v, dtype)

    outputs = []
    for t in range(q.shape[1]):
        if reset is not None:
            fast_weights = zero_rows(fast_weights, reset[:, t])
            key_sum = zero_rows(key_sum, reset[:, t]) if normalize else None
        q_t, k_t, v_t = (x[:, t].to(dtype) for x in (q, k, v))
        fast_weights = fast_weights + v_t.unsqueeze(-1) * k_t.unsqueeze(-2)
        o_t = torch.einsum("bhvk,bhk->bhv", fast_weights, q_t)
        if normalize:
            key_sum = key_sum + k_t
            o_t = o_t / ((key_sum * q_t).sum(-1, keepdim=True) + eps)
        outputs.append(o_t)
    output = torch.stack(outputs, dim=1).to(q.dtype)

    if not output_final_state:
        return output, None
    return output, (fast_weights, key_sum) if normalize else fast_weights
