"""Name -> class of every fast-weight sublayer the decoder can hold."""

from typing import Dict

from .delta_net_layer import DeltaNetSublayer
from .fast_weight_sublayer import FastWeightSublayer
from .linear_attention_layer import LinearAttentionSublayer

FAST_WEIGHT_SUBLAYERS: Dict[str, type] = {
    "linear": LinearAttentionSublayer,
    "delta": DeltaNetSublayer,
}


def build_fast_weight_sublayer(cfg) -> FastWeightSublayer:
    """The sublayer named by ``cfg.fast_weight_type``."""
    if cfg.fast_weight_type not in FAST_WEIGHT_SUBLAYERS:
        raise ValueError(
            f"unknown fast_weight_type {cfg.fast_weight_type!r}; "
            f"choose one of {', '.join(FAST_WEIGHT_SUBLAYERS)}"
        )
    return FAST_WEIGHT_SUBLAYERS[cfg.fast_weight_type](cfg)
