from .decoder_layer import FastWeightDecoderLayer
from .registry import FAST_WEIGHT_SUBLAYERS, build_fast_weight_sublayer
from .feature_maps import FEATURE_MAP_NAMES, FeatureMap

__all__ = [
    "FAST_WEIGHT_SUBLAYERS",
    "FEATURE_MAP_NAMES",
    "FastWeightDecoderLayer",
    "FeatureMap",
    "build_fast_weight_sublayer",
]
