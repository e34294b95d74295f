"""Reading a delta-rule matrix inside a chunk at vectors known only step by step.

The Delta RNN and Delta LSTM read their recurrent fast weights R_t at a vector
that depends on the previous output (a_t = softmax(y_{t-1})), so the read-out
cannot be one matrix product over the chunk. R_t itself depends on the inputs
only: within a chunk of C steps starting from R, with the chunk's updates U_S
from `chunk_updates` (computed once, independent of a_t),

    R_t = R + sum_{i<=t} u_i k_i^T.

Writing the starting matrix as Dk key/value pairs, R = sum_j (R e_j) e_j^T,
R_t is a sum over the first Dk + t + 1 rows of the stacked pairs

    K' = [I; K]: [Dk + C, Dk],   V' = [R^T; U_S]: [Dk + C, Dv],
    R_t a = V'[:Dk+t+1]^T (K'[:Dk+t+1] a),

two small matrix-vector products per step (O((Dk + t) (Dk + Dv))), and no
per-step [Dv, Dk] matrix is formed or kept for autograd. At the chunk end
R_next = R + U_S^T K, as in the chunkwise delta rule.
"""

import torch

from kernels.ops.delta_rule.chunk import chunk_updates


class StepReadout:
    """R_t a for the steps t of one chunk, in row layout.

    k: [..., C, Dk], v: [..., C, Dv], beta: [..., C]: the chunk's keys, values
    and betas; state R: [..., Dv, Dk] before the chunk. Padded steps (zero
    beta) leave R unchanged.
    """

    def __init__(self, k: torch.Tensor, v: torch.Tensor, beta: torch.Tensor, state: torch.Tensor):
        self.state = state
        self.keys = k
        self.updates = chunk_updates(k, v, beta, state)  # U_S: [..., C, Dv]
        self.key_dim = k.shape[-1]
        identity = torch.eye(self.key_dim, dtype=k.dtype, device=k.device).expand(*state.shape[:-2], -1, -1)
        self.stacked_keys_t = torch.cat([identity, k], dim=-2).transpose(-1, -2)  # K'^T: [..., Dk, Dk + C]
        self.stacked_values = torch.cat([state.transpose(-1, -2), self.updates], dim=-2)  # V': [..., Dk + C, Dv]

    def read(self, t: int, a: torch.Tensor) -> torch.Tensor:
        """a: [..., 1, Dk] (a row; broadcasts over leading dims) -> (R_t a)^T: [..., 1, Dv]."""
        pairs = self.key_dim + t + 1
        return (a @ self.stacked_keys_t[..., :pairs]) @ self.stacked_values[..., :pairs, :]

    def final_state(self) -> torch.Tensor:
        """R after the chunk: R + U_S^T K, [..., Dv, Dk]."""
        return self.state + self.updates.transpose(-1, -2) @ self.keys
