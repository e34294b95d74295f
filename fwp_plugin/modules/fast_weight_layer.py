"""A fast-weight sublayer as a plain PyTorch module, for models outside fairseq.

    from fwp_plugin.modules import FastWeightLayer
    layer = FastWeightLayer("delta_net", d_model=128, heads=8)    # 8 heads of 16
    y, state = layer(x)                # x: [B, T, d_model] -> y: [B, T, d_model]
    y2, state = layer(x2, state)       # continues the sequence: same as one call on [x; x2]

The layer holds the same sublayer class the fairseq models use (``layer.sublayer``,
see ``FAST_WEIGHT_SUBLAYERS``), built from plain arguments instead of a fairseq
config; its state is the sublayer's (the fast weights, and the recurrent outputs
where the type has them), batch first, passed explicitly.
"""

from argparse import Namespace
from typing import Optional, Tuple

import torch
from torch import nn

from .fast_weight_sublayer import FastState
from .feature_maps import SUMNORM_EPS
from .registry import build_fast_weight_sublayer


def sublayer_config(
    fast_weight_type: str,
    d_model: int,
    heads: int,
    feature_map: Optional[str] = None,
    beta_max: float = 1.0,
    output_scaling: bool = True,
    attn_normalize: bool = False,
    dropout: float = 0.0,
    dpfp_nu: int = 1,
    sumnorm_eps: float = SUMNORM_EPS,
    delta_mlp_depth: int = 1,
    delta_mlp_hidden_factor: float = 4,
) -> Namespace:
    """The options a fast-weight sublayer reads (those of ``FastWeightBlocksConfig``), from plain
    arguments; see ``FastWeightLayer`` for their meaning."""
    if feature_map is None:
        feature_map = "softmax" if fast_weight_type == "rdn" else "elu1_sumnorm"
    return Namespace(
        fast_weight_type=fast_weight_type, decoder_embed_dim=d_model, decoder_attention_heads=heads,
        feature_map=feature_map, beta_max=beta_max, fw_no_output_scaling=not output_scaling,
        attn_normalize=attn_normalize, dropout=dropout, dpfp_nu=dpfp_nu, sumnorm_eps=sumnorm_eps,
        delta_mlp_depth=delta_mlp_depth,
        delta_mlp_hidden_factor=delta_mlp_hidden_factor, delta_mlp_paper_slow_size=False,
    )


class FastWeightLayer(nn.Module):
    """``forward(x, state=None, reset=None) -> (y, new_state)``: one fast-weight sublayer
    (slow projection, H heads of d_model / H, fast net, output projection, dropout).

    Arguments: ``fast_weight_type`` (a model name: linear_transformer, delta_net, delta_mlp,
    delta_delta, delta_rnn, delta_lstm, rdn, transformer), ``d_model``, ``heads``; ``feature_map`` for keys and
    queries (default: softmax for rdn, elu1_sumnorm otherwise); ``beta_max`` (beta =
    beta_max * sigmoid(b)); ``output_scaling`` (divide the heads' outputs by sqrt(d_head),
    as the published language models do); ``attn_normalize`` (linear only); ``dropout``
    on the output; ``dpfp_nu``; ``sumnorm_eps`` (added to the sum of the *_sumnorm maps);
    ``delta_mlp_depth``, ``delta_mlp_hidden_factor``.
    ``reset: [B, T]`` (bool) zeroes the state of row b before step t where set.
    """

    def __init__(self, fast_weight_type: str, d_model: int, heads: int, **options):
        super().__init__()
        self.sublayer = build_fast_weight_sublayer(sublayer_config(fast_weight_type, d_model, heads, **options))

    def forward(
        self, x: torch.Tensor, state: Optional[FastState] = None, reset: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, FastState]:
        """x: [B, T, d_model] -> (y: [B, T, d_model], the state after step T)."""
        store = self.sublayer.state_store(state)
        y = self.sublayer(x, store, reset)
        return y, self.sublayer.stored_state(store)
