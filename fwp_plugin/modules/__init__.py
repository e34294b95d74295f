from .decoder_layer import FastWeightDecoderLayer, build_decoder_layers, build_final_norm
from .fast_weight_layer import FastWeightLayer
from .registry import FAST_WEIGHT_SUBLAYERS, build_fast_weight_sublayer
from .fast_weight_sublayer import detach_states
from .feature_maps import FEATURE_MAP_NAMES, FeatureMap

__all__ = [
    "FAST_WEIGHT_SUBLAYERS",
    "FEATURE_MAP_NAMES",
    "FastWeightDecoderLayer",
    "FastWeightLayer",
    "FeatureMap",
    "build_decoder_layers",
    "build_fast_weight_sublayer",
    "build_final_norm",
    "detach_states",
]
