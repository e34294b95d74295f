"""Delta RNN sublayer (the paper's "v2"): a delta net plus a recurrent fast matrix.

Per head, with ``[q^; k^; v; k^r; v^r; b; b^r] = W_slow x_t`` (5d + 2 outputs):

    z_t = W_t phi(q^_t)      W: delta rule on (phi(k^_t), v_t, beta(b_t))
    R_t = delta rule(R_{t-1}; softmax(k^r_t), v^r_t, beta(b^r_t))
    y_t = z_t + R_t softmax(y_{t-1})
"""

import torch

from fwp_kernels import delta_rnn

from .fast_weight_sublayer import FastWeightSublayer, head_dim_of


class DeltaRNNSublayer(FastWeightSublayer):
    fast_weight_parts = 2  # (W, R, y): W and R decay, y is the recurrent output

    def __init__(self, cfg):
        d = head_dim_of(cfg)
        super().__init__(cfg, slow_outputs_per_head=5 * d + 2)

    def fast_forward(self, slow, initial_state, output_final_state, reset=None):
        q, k, v, rk, rv, b, rb = slow.split([self.head_dim] * 5 + [1, 1], dim=-1)
        return delta_rnn(
            self.feature_map(q), self.feature_map(k), v, self.beta(b.squeeze(-1)),
            torch.softmax(rk, dim=-1), rv, self.beta(rb.squeeze(-1)),
            initial_state=initial_state, output_final_state=output_final_state, reset=reset,
        )
