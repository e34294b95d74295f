"""Name -> class of every fast-weight sublayer the decoder can hold (and of the
causal softmax attention that makes the same blocks a Transformer baseline)."""

from typing import Dict

from .delta_delta_layer import DeltaDeltaSublayer
from .delta_lstm_layer import DeltaLSTMSublayer
from .delta_mlp_layer import DeltaMLPSublayer
from .delta_net_layer import DeltaNetSublayer
from .delta_rnn_layer import DeltaRNNSublayer
from .fast_weight_sublayer import FastWeightSublayer
from .linear_attention_layer import LinearAttentionSublayer
from .rdn_layer import RecurrentDeltaNetSublayer
from .softmax_attention_layer import SoftmaxAttentionSublayer

FAST_WEIGHT_SUBLAYERS: Dict[str, type] = {
    "linear": LinearAttentionSublayer,
    "delta": DeltaNetSublayer,
    "delta_mlp": DeltaMLPSublayer,
    "delta_delta": DeltaDeltaSublayer,
    "delta_rnn": DeltaRNNSublayer,
    "delta_lstm": DeltaLSTMSublayer,
    "rdn": RecurrentDeltaNetSublayer,
    "softmax": SoftmaxAttentionSublayer,
}


def build_fast_weight_sublayer(cfg) -> FastWeightSublayer:
    """The sublayer named by ``cfg.fast_weight_type``."""
    if cfg.fast_weight_type not in FAST_WEIGHT_SUBLAYERS:
        raise ValueError(
            f"unknown fast_weight_type {cfg.fast_weight_type!r}; "
            f"choose one of {', '.join(FAST_WEIGHT_SUBLAYERS)}"
        )
    return FAST_WEIGHT_SUBLAYERS[cfg.fast_weight_type](cfg)
