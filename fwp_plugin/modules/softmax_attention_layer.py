"""Causal softmax attention in the fast-weight frame: the Transformer baseline.

Per head, with ``[q_t; k_t; v_t] = W_slow x_t`` (3d outputs):

    y_t = sum_{j <= t} softmax_j(q_t . k_j / sqrt(d)) v_j

Its "fast state" is the list of all past keys and values (it grows with the
sequence), kept like the fast weights of the other sublayers, so token-by-token
decoding and carried states work the same way. The blocks around it are
unchanged: a model with ``--fast-weight-type transformer`` differs from a fast
weight programmer only in this sublayer. ``--feature-map`` and ``--beta-max``
do not apply; the output is not scaled by 1/sqrt(d) (it is a convex
combination of values), and there is no attention dropout, as in the published
algorithmic code.
"""

import torch
import torch.nn.functional as F

from .fast_weight_sublayer import FastWeightSublayer, head_dim_of


class SoftmaxAttentionSublayer(FastWeightSublayer):
    def __init__(self, cfg):
        super().__init__(cfg, slow_outputs_per_head=3 * head_dim_of(cfg))
        self.scale_output = False

    def fast_forward(self, slow, initial_state, output_final_state, reset=None):
        """slow: [B, T, H, 3d]; state: (keys, values), each [B, H, T_past, d]."""
        if reset is not None:
            raise ValueError(
                "softmax attention keeps past keys/values, not a state that a reset mask can zero; "
                "use a fast-weight type (linear_transformer, delta_net, delta_rnn, delta_lstm, rdn) where episodes are reset"
            )
        q, k, v = slow.transpose(1, 2).split(self.head_dim, dim=-1)  # each [B, H, T, d]
        if initial_state is not None:
            past_k, past_v = initial_state
            k, v = torch.cat([past_k, k], dim=2), torch.cat([past_v, v], dim=2)
        new, total = q.shape[2], k.shape[2]
        # Query i is position (total - new + i): it sees the keys up to that position.
        causal = torch.ones(new, total, dtype=torch.bool, device=q.device).tril(total - new)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=causal)
        return y.transpose(1, 2), ((k, v) if output_final_state else None)
