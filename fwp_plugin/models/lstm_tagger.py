"""``lstm_tagger``: the LSTM baseline of the algorithmic tasks.

    tokens [B, T] -> embedding [B, T, E] -> dropout -> nn.LSTM (L layers, hidden H)
    -> dropout -> Linear(H, C) -> logits [B, T, C]

This mirrors the published algorithmic code's LSTM (no dropout between LSTM
layers). Its sizes are not in the paper's text; the defaults are the published
training command's shared flags (4 layers, hidden 256, dropout 0.1) and the
code's embedding default (128).
"""

from dataclasses import dataclass, field

import torch
from fairseq.data import Dictionary
from fairseq.dataclass import FairseqDataclass
from fairseq.models import register_model
from fairseq.modules import FairseqDropout
from torch import nn

from ..sizes import check_positive
from .sequence_tagger import SequenceTagger

# option -> why it must be at least 1
LSTM_SIZES = {
    "embed_dim": "the embedding size must be positive",
    "lstm_hidden_size": "the LSTM's hidden size must be positive",
    "lstm_layers": "the LSTM needs at least one layer",
}


@dataclass
class LSTMTaggerConfig(FairseqDataclass):
    embed_dim: int = field(
        default=128, metadata={"help": "token embedding size E (the published code's default)"}
    )
    lstm_hidden_size: int = field(
        default=256, metadata={"help": "hidden size H of every LSTM layer (published command: 256)"}
    )
    lstm_layers: int = field(
        default=4, metadata={"help": "number of stacked LSTM layers L (published command: 4)"}
    )
    dropout: float = field(
        default=0.1,
        metadata={"help": "dropout on the embeddings and on the last LSTM layer's output "
                  "(none between LSTM layers, as published; published command: 0.1)"},
    )


@register_model("lstm_tagger", dataclass=LSTMTaggerConfig)
class LSTMTagger(SequenceTagger):
    def __init__(self, cfg, dictionary: Dictionary, num_classes: int):
        check_positive(cfg, LSTM_SIZES)
        super().__init__()
        self.embed_tokens = nn.Embedding(len(dictionary), cfg.embed_dim, dictionary.pad())
        self.dropout_module = FairseqDropout(cfg.dropout, module_name=type(self).__name__)
        self.lstm = nn.LSTM(cfg.embed_dim, cfg.lstm_hidden_size, cfg.lstm_layers, batch_first=True)
        self.output_projection = nn.Linear(cfg.lstm_hidden_size, num_classes)

    def forward(self, src_tokens: torch.Tensor, **unused) -> torch.Tensor:
        """src_tokens: [B, T] -> logits [B, T, C]."""
        x = self.dropout_module(self.embed_tokens(src_tokens))
        x, _ = self.lstm(x)
        return self.output_projection(self.dropout_module(x))
