from .decoder_layer import FastWeightDecoderLayer
from .registry import FAST_WEIGHT_SUBLAYERS, build_fast_weight_sublayer
from .fast_weight_sublayer import detach_states
from .feature_maps import FEATURE_MAP_NAMES, FeatureMap

__all__ = [
    "FAST_WEIGHT_SUBLAYERS",
    "FEATURE_MAP_NAMES",
    "FastWeightDecoderLayer",
    "FeatureMap",
    "build_fast_weight_sublayer",
    "detach_states",
]
