"""Delta Delta Net sublayer: a fast net that programs another fast net.

Per head, with ``[q^; k^; v^F; b] = W_slow x_t`` (5d + 2 outputs, v^F of 3d + 1):

    F_t = delta rule(F_{t-1}; phi(k^_t), v^F_t, beta(b_t))        F: (3d + 1) x d
    [q'; k'; v'; b'] = F_t phi(q^_t)
    W_t = delta rule(W_{t-1}; phi(k'_t), v'_t, beta(b'_t))          W: d x d
    y_t = W_t phi(q'_t)

Both levels are sequence-parallel ``delta_rule`` calls.
"""

from fwp_kernels import delta_rule

from .fast_weight_sublayer import FastWeightSublayer, head_dim_of


class DeltaDeltaSublayer(FastWeightSublayer):
    def __init__(self, cfg):
        d = head_dim_of(cfg)
        super().__init__(cfg, slow_outputs_per_head=5 * d + 2)

    def fast_forward(self, slow, initial_state, output_final_state, reset=None):
        d = self.head_dim
        q, k, v, b = slow.split([d, d, 3 * d + 1, 1], dim=-1)
        state_f, state_w = initial_state or (None, None)
        programs, state_f = delta_rule(
            self.feature_map(q), self.feature_map(k), v, self.beta(b.squeeze(-1)),
            initial_state=state_f, output_final_state=output_final_state, reset=reset,
        )
        fast_q, fast_k, fast_v, fast_b = programs.split([d, d, d, 1], dim=-1)
        y, state_w = delta_rule(
            self.feature_map(fast_q), self.feature_map(fast_k), fast_v, self.beta(fast_b.squeeze(-1)),
            initial_state=state_w, output_final_state=output_final_state, reset=reset,
        )
        return y, (state_f, state_w) if output_final_state else None
