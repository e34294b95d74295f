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

With resets (`fwp_kernels.resets`), R_t a = g_t R a + sum_{i<=t, same_ti} (k_i . a) u_i:
step t's coefficients K' a are masked by row t of [g 1^T, same]: [C, Dk + C]
(the Dk start pairs count while g_t = 1, step i's pair while same_ti = 1), and
R_next = g_{C-1} R + U_S^T diag(same_{C-1}) K.
"""

import torch

from fwp_kernels.ops.delta_rule.chunk import chunk_updates
from fwp_kernels.resets import NO_RESETS, ChunkResets


class StepReadout:
    """R_t a for the steps t of one chunk, in row layout.

    k: [..., C, Dk], v: [..., C, Dv], beta: [..., C]: the chunk's keys, values
    and betas; state R: [..., Dv, Dk] before the chunk; `resets`: the chunk's
    `ChunkResets` (then the leading dims are [B, heads...]). Padded steps (zero
    beta) leave R unchanged.
    """

    def __init__(
        self,
        k: torch.Tensor,
        v: torch.Tensor,
        beta: torch.Tensor,
        state: torch.Tensor,
        resets: ChunkResets = NO_RESETS,
    ):
        self.state = state
        self.keys = k
        self.resets = resets
        self.updates = chunk_updates(k, v, beta, state, resets)  # U_S: [..., C, Dv]
        self.key_dim = k.shape[-1]
        identity = torch.eye(self.key_dim, dtype=k.dtype, device=k.device).expand(*state.shape[:-2], -1, -1)
        self.stacked_keys_t = torch.cat([identity, k], dim=-2).transpose(-1, -2)  # K'^T: [..., Dk, Dk + C]
        self.stacked_values = torch.cat([state.transpose(-1, -2), self.updates], dim=-2)  # V': [..., Dk + C, Dv]
        self.pair_mask = resets.pair_mask(self.key_dim, like=state)  # [B, 1.., C, Dk + C]; None without resets

    def read(self, t: int, a: torch.Tensor) -> torch.Tensor:
        """a: [..., 1, Dk] (a row; broadcasts over leading dims) -> (R_t a)^T: [..., 1, Dv]."""
        pairs = self.key_dim + t + 1
        coefficients = a @ self.stacked_keys_t[..., :pairs]  # (K'[:pairs] a)^T: [..., 1, pairs]
        if self.pair_mask is not None:
            coefficients = coefficients * self.pair_mask[..., t : t + 1, :pairs]
        return coefficients @ self.stacked_values[..., :pairs, :]

    def final_state(self) -> torch.Tensor:
        """R after the chunk: g_{C-1} R + U_S^T diag(same_{C-1}) K (R + U_S^T K without resets), [..., Dv, Dk]."""
        return self.resets.at_end(self.state) + self.updates.transpose(-1, -2) @ self.resets.in_last_segment(self.keys)
