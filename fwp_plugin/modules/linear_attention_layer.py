"""Linear Transformer sublayer (Katharopoulos et al. 2020; the sum rule).

Per head, with ``[q^; k^; v] = W_slow x_t`` (3d outputs):

    q_t = phi(q^_t), k_t = phi(k^_t)
    W_t = W_{t-1} + v_t k_t^T ;  y_t = W_t q_t   (optionally / (z_t . q_t + eps))
"""

from fwp_kernels import linear_attention

from .fast_weight_sublayer import FastWeightSublayer, head_dim_of


class LinearAttentionSublayer(FastWeightSublayer):
    def __init__(self, cfg):
        d = head_dim_of(cfg)
        super().__init__(cfg, slow_outputs_per_head=3 * d)
        self.normalize = cfg.attn_normalize

    def fast_forward(self, slow, initial_state, output_final_state, reset=None):
        q, k, v = slow.split(self.head_dim, dim=-1)
        return linear_attention(
            self.feature_map(q),
            self.feature_map(k),
            v,
            normalize=self.normalize,
            initial_state=initial_state,
            output_final_state=output_final_state,
            reset=reset,
        )
