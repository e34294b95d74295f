"""Delta LSTM sublayer (the paper's "v4"): six fast matrices per head.

Per head and gate g in (input, update, output), the slow net emits
``[q^g; k^g; v^g; k^{r,g}; v^{r,g}; b^g; b^{r,g}]`` (15d + 6 outputs in all):

    z^g_t = W^g_t phi(q^g_t)       W^g: delta rule on (phi(k^g_t), v^g_t, beta(b^g_t))
    R^g_t = delta rule(R^g_{t-1}; softmax(k^{r,g}_t), v^{r,g}_t, beta(b^{r,g}_t))
    i = sigmoid(R^i_t h~ + z^i_t), u = R^u_t h~ + z^u_t, o = sigmoid(R^o_t h~ + z^o_t),  h~ = softmax(h_{t-1})
    c_t = i * u + (1 - i) * c_{t-1} ;  h_t = c_t * o
"""

import torch

from fwp_kernels import delta_lstm

from .fast_weight_sublayer import FastWeightSublayer, head_dim_of

GATES = 3  # input, update, output


class DeltaLSTMSublayer(FastWeightSublayer):
    fast_weight_parts = 2  # (W, R, h, c): W and R decay, h and c are the recurrent outputs

    def __init__(self, cfg):
        d = head_dim_of(cfg)
        super().__init__(cfg, slow_outputs_per_head=GATES * (5 * d + 2))

    def fast_forward(self, slow, initial_state, output_final_state, reset=None):
        per_gate = slow.unflatten(-1, (GATES, -1))  # [B, T, H, 3, 5d + 2]
        q, k, v, rk, rv, b, rb = per_gate.split([self.head_dim] * 5 + [1, 1], dim=-1)
        return delta_lstm(
            self.feature_map(q), self.feature_map(k), v, self.beta(b.squeeze(-1)),
            torch.softmax(rk, dim=-1), rv, self.beta(rb.squeeze(-1)),
            initial_state=initial_state, output_final_state=output_final_state, reset=reset,
        )
