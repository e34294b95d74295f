"""Model name -> class of every fast-weight sublayer the decoder can hold (and of the
causal softmax attention that makes the same blocks a Transformer baseline).

The names are the models' (``fwp_plugin.model_names``); old spellings are accepted."""

from typing import Dict

from ..model_names import ALIASES, model_name

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
    "linear_transformer": LinearAttentionSublayer,
    "delta_net": DeltaNetSublayer,
    "delta_mlp": DeltaMLPSublayer,
    "delta_delta": DeltaDeltaSublayer,
    "delta_rnn": DeltaRNNSublayer,
    "delta_lstm": DeltaLSTMSublayer,
    "rdn": RecurrentDeltaNetSublayer,
    "transformer": SoftmaxAttentionSublayer,
}


def build_fast_weight_sublayer(cfg) -> FastWeightSublayer:
    """The sublayer named by ``cfg.fast_weight_type`` (a model name or an old spelling of one)."""
    try:
        name = model_name(cfg.fast_weight_type, choices=tuple(FAST_WEIGHT_SUBLAYERS))
    except ValueError as error:
        raise ValueError(f"fast_weight_type: {error}") from None
    return FAST_WEIGHT_SUBLAYERS[name](cfg)


# What --fast-weight-type accepts: the names and the old spellings.
FAST_WEIGHT_TYPE_CHOICES = [*FAST_WEIGHT_SUBLAYERS, *ALIASES]
