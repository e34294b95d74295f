"""Recurrent Delta Net (RDN) sublayer: the slow net also reads the fast net's last output.

Per head, with ``[q^; k^; v^; b^] = W_slow x_t`` (3d + 1 outputs) and trainable
recurrent slow weights R_q, R_k, R_v (d x d) and r_b (d), initialised N(0, 1/d):

    a_t = tanh(y_{t-1})
    q_t = softmax(q^_t + R_q a_t),  k_t = softmax(k^_t + R_k a_t)
    v_t = v^_t + R_v a_t,           beta_t = sigmoid(b^_t + r_b . a_t)
    W_t = delta rule(W_{t-1}; k_t, v_t, beta_t) ;  y_t = W_t q_t

Softmax replaces phi and beta is in (0, 1), as published: ``--feature-map``
must be ``softmax`` and ``--beta-max`` 1.
"""

import torch
from torch import nn

from fwp_kernels import recurrent_delta_rule

from .fast_weight_sublayer import FastWeightSublayer, head_dim_of


class RecurrentDeltaNetSublayer(FastWeightSublayer):
    fast_weight_parts = 1  # (W, y): W decays, y is the recurrent output

    def __init__(self, cfg):
        if str(cfg.feature_map) != "softmax" or cfg.beta_max != 1:
            raise ValueError(
                "rdn applies softmax to keys/queries and sigmoid to beta inside its recurrence; "
                f"pass --feature-map softmax --beta-max 1 (got {cfg.feature_map}, {cfg.beta_max})"
            )
        d = head_dim_of(cfg)
        super().__init__(cfg, slow_outputs_per_head=3 * d + 1)
        heads = cfg.decoder_attention_heads
        self.recurrent_q = nn.Parameter(torch.empty(heads, d, d))
        self.recurrent_k = nn.Parameter(torch.empty(heads, d, d))
        self.recurrent_v = nn.Parameter(torch.empty(heads, d, d))
        self.recurrent_beta = nn.Parameter(torch.empty(heads, d))
        for weight in (self.recurrent_q, self.recurrent_k, self.recurrent_v, self.recurrent_beta):
            nn.init.normal_(weight, mean=0.0, std=d**-0.5)

    def fast_forward(self, slow, initial_state, output_final_state, reset=None):
        q, k, v, b = slow.split([self.head_dim] * 3 + [1], dim=-1)
        return recurrent_delta_rule(
            q, k, v, b.squeeze(-1),
            self.recurrent_q, self.recurrent_k, self.recurrent_v, self.recurrent_beta,
            initial_state=initial_state, output_final_state=output_final_state, reset=reset,
        )
