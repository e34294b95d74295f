"""``fwp_tagger``: the plugin's fast-weight blocks as a causal sequence tagger.

    tokens [B, T] -> embedding [B, T, D] -> dropout -> blocks -> final LayerNorm
    -> Linear(D, C) -> logits [B, T, C]

The blocks are the language model's (``FastWeightDecoderLayer``), so every
``--fast-weight-type`` works, and ``transformer`` gives the Transformer baseline
that differs only in its attention. No positional encoding (the published
algorithmic runs use ``--remove_pos_enc``) and unscaled embeddings, as in the
published algorithmic code.
"""

import torch
from fairseq.data import Dictionary
from fairseq.models import register_model
from fairseq.modules import FairseqDropout
from torch import nn

from ..modules import build_decoder_layers, build_final_norm
from .blocks_config import FastWeightBlocksConfig, check_blocks_config
from .sequence_tagger import SequenceTagger


@register_model("fwp_tagger", dataclass=FastWeightBlocksConfig)
class FastWeightTagger(SequenceTagger):
    def __init__(self, cfg, dictionary: Dictionary, num_classes: int):
        check_blocks_config(cfg)
        super().__init__()
        self.embed_tokens = nn.Embedding(len(dictionary), cfg.decoder_embed_dim, dictionary.pad())
        self.dropout_module = FairseqDropout(cfg.dropout, module_name=type(self).__name__)
        self.layers = build_decoder_layers(cfg)
        self.final_norm = build_final_norm(cfg)
        self.output_projection = nn.Linear(cfg.decoder_embed_dim, num_classes)

    def forward(self, src_tokens: torch.Tensor, **unused) -> torch.Tensor:
        """src_tokens: [B, T] -> logits [B, T, C]."""
        x = self.dropout_module(self.embed_tokens(src_tokens))
        for layer in self.layers:
            x = layer(x)
        if self.final_norm is not None:
            x = self.final_norm(x)
        return self.output_projection(x)
