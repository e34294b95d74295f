"""Delta MLP sublayer: a deeper fast net, every fast matrix programmed by the delta rule.

Per head, with fast hidden size ``f = delta_mlp_hidden_factor * d`` and ``L``
fast layer pairs (``delta_mlp_depth``), the slow net emits a query ``h^0_t``
(d) and, for each pair l, keys / values / betas for ``A^l`` (f x d) and ``B^l``
(d x f). Then, for l = 1..L:

    a = phi(LN_l(h^{l-1}_t)),  b = phi(A^l_t a),  h^l_t = h^{l-1}_t + B^l_t b
    y_t = h^L_t

with A^l, B^l each a delta-rule fast matrix (keys through phi). All keys,
values and betas depend on x only, so each fast matrix is one
sequence-parallel ``delta_rule`` call whose queries come from the layer below.

(as published) The paper's code sizes the slow projection for twice the fast
keys and values it uses; ``delta_mlp_paper_slow_size`` keeps those unused
outputs so that the parameter count matches the paper (48.8M small).
"""

from fwp_kernels import delta_rule
from fairseq.modules import LayerNorm
from torch import nn

from .fast_weight_sublayer import FastWeightSublayer, head_dim_of


class DeltaMLPSublayer(FastWeightSublayer):
    def __init__(self, cfg):
        d = head_dim_of(cfg)
        self.depth = cfg.delta_mlp_depth
        hidden_dim = int(cfg.delta_mlp_hidden_factor * d)
        if self.depth < 1 or hidden_dim < 1:
            raise ValueError(
                f"delta_mlp needs --delta-mlp-depth >= 1 and a positive hidden size, got depth "
                f"{self.depth} and hidden size {hidden_dim}"
            )
        # Per fast layer pair: A's key (d), value (f), beta; B's key (f), value (d), beta.
        self.pair_sizes = [d, hidden_dim, 1, hidden_dim, d, 1]
        self.unused_outputs = 2 * self.depth * (d + hidden_dim) if cfg.delta_mlp_paper_slow_size else 0
        super().__init__(
            cfg, slow_outputs_per_head=d + self.depth * sum(self.pair_sizes) + self.unused_outputs
        )
        self.fast_layer_norms = nn.ModuleList(LayerNorm(d) for _ in range(self.depth))

    def fast_forward(self, slow, initial_state, output_final_state, reset=None):
        used = slow.shape[-1] - self.unused_outputs
        h, *pairs = slow[..., :used].split([self.head_dim] + self.pair_sizes * self.depth, dim=-1)
        states = initial_state or (None,) * (2 * self.depth)
        final_states = []
        for layer in range(self.depth):
            key_a, value_a, b_a, key_b, value_b, b_b = pairs[6 * layer: 6 * layer + 6]
            a = self.feature_map(self.fast_layer_norms[layer](h))
            hidden, state_a = delta_rule(
                a, self.feature_map(key_a), value_a, self.beta(b_a.squeeze(-1)),
                initial_state=states[2 * layer], output_final_state=output_final_state, reset=reset,
            )
            out, state_b = delta_rule(
                self.feature_map(hidden), self.feature_map(key_b), value_b, self.beta(b_b.squeeze(-1)),
                initial_state=states[2 * layer + 1], output_final_state=output_final_state, reset=reset,
            )
            h = h + out
            final_states += [state_a, state_b]
        return h, tuple(final_states) if output_final_state else None
