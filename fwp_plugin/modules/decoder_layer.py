"""One decoder block: a fast-weight sublayer, then a position-wise feed-forward.

Pre-norm (the default), as published::

    h = LN_fw(x)
    x = h + FW(h)          # residual_from_normalized: the residual carries LN(x)
    x = x + FF(LN_ff(x))

With ``residual_from_normalized=False`` the first line is the standard
``x = x + FW(LN_fw(x))``. Post-norm (``decoder_post_norm``): ``x = LN_fw(x + FW(x)); x = LN_ff(x + FF(x))``.
``FF(x) = dropout(W_2 dropout(relu(W_1 x)))``.
"""

from typing import Dict, Optional

import torch
from fairseq.modules import FairseqDropout, LayerNorm
from torch import nn

from .registry import build_fast_weight_sublayer


class FeedForward(nn.Module):
    """[B, T, D] -> [B, T, D]: Linear(D, d_ff), ReLU, dropout, Linear(d_ff, D), dropout."""

    def __init__(self, embed_dim: int, ffn_dim: int, dropout: float):
        super().__init__()
        self.fc1 = nn.Linear(embed_dim, ffn_dim)
        self.fc2 = nn.Linear(ffn_dim, embed_dim)
        self.dropout_module = FairseqDropout(dropout, module_name=type(self).__name__)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.dropout_module(torch.relu(self.fc1(x)))
        return self.dropout_module(self.fc2(hidden))


class FastWeightDecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.fast_weight = build_fast_weight_sublayer(cfg)
        self.feed_forward = FeedForward(
            cfg.decoder_embed_dim, cfg.decoder_ffn_embed_dim, cfg.dropout
        )
        self.fast_weight_norm = LayerNorm(cfg.decoder_embed_dim)
        self.feed_forward_norm = LayerNorm(cfg.decoder_embed_dim)
        self.normalize_before = not cfg.decoder_post_norm
        self.residual_from_normalized = cfg.residual_from_normalized

    def forward(
        self,
        x: torch.Tensor,
        incremental_state: Optional[Dict[str, Dict[str, Optional[torch.Tensor]]]] = None,
        reset: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """x: [B, T, D] -> [B, T, D]; ``reset: [B, T]`` zeroes the fast weights before the marked steps."""
        if not self.normalize_before:
            x = self.fast_weight_norm(x + self.fast_weight(x, incremental_state, reset))
            return self.feed_forward_norm(x + self.feed_forward(x))
        normed = self.fast_weight_norm(x)
        residual = normed if self.residual_from_normalized else x
        x = residual + self.fast_weight(normed, incremental_state, reset)
        return x + self.feed_forward(self.feed_forward_norm(x))


def build_decoder_layers(cfg) -> nn.ModuleList:
    """The ``cfg.decoder_layers`` blocks of a model, input to output.

    Each block's fast-weight state is kept under the key ``layers.<i>.fast_weight``
    (fairseq's default key is a random id per module instance), so states saved in a
    checkpoint (``language_modeling_carried_state``) find their layer again in a new process.
    """
    layers = nn.ModuleList(FastWeightDecoderLayer(cfg) for _ in range(cfg.decoder_layers))
    for index, layer in enumerate(layers):
        layer.fast_weight._incremental_state_id = f"layers.{index}.fast_weight"
    return layers


def build_final_norm(cfg) -> Optional[LayerNorm]:
    """The LayerNorm after the last pre-norm block; None for post-norm blocks
    (they end in one) or with ``no_decoder_final_norm``."""
    if cfg.decoder_post_norm or cfg.no_decoder_final_norm:
        return None
    return LayerNorm(cfg.decoder_embed_dim)
