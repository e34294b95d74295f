"""Delta Net sublayer (Schlag et al. 2021; the delta rule).

Per head, with ``[q^; k^; v; b] = W_slow x_t`` (3d + 1 outputs):

    q_t = phi(q^_t), k_t = phi(k^_t), beta_t = beta_max * sigmoid(b_t)
    W_t = W_{t-1} + beta_t (v_t - W_{t-1} k_t) k_t^T ;  y_t = W_t q_t
"""

from fwp_kernels import delta_rule

from .fast_weight_sublayer import FastWeightSublayer, head_dim_of


class DeltaNetSublayer(FastWeightSublayer):
    def __init__(self, cfg):
        d = head_dim_of(cfg)
        super().__init__(cfg, slow_outputs_per_head=3 * d + 1)

    def fast_forward(self, slow, initial_state, output_final_state, reset=None):
        q, k, v, b = slow.split([self.head_dim] * 3 + [1], dim=-1)
        return delta_rule(
            self.feature_map(q),
            self.feature_map(k),
            v,
            self.beta(b.squeeze(-1)),
            initial_state=initial_state,
            output_final_state=output_final_state,
            reset=reset,
        )
