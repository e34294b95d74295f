"""The fast weight programmer language model: config, decoder and model.

``fwp_lm`` is a decoder-only LM whose blocks hold a fast-weight sublayer
chosen by ``--fast-weight-type`` in place of softmax attention. Tokens go
through (adaptive) embeddings scaled by sqrt(D), optional sinusoidal
positions, the blocks, a final LayerNorm (pre-norm; ``--no-decoder-final-norm``
drops it, as published), optional dropout (``--dropout-before-output``, as
published) and an (adaptive) softmax. ``--weight-init published`` initialises
as the authors did (``published_init``).
"""

import sys
from dataclasses import dataclass, field
from typing import Dict, Optional

import torch
from fairseq import options
from fairseq.dataclass import ChoiceEnum
from fairseq.models import FairseqIncrementalDecoder, FairseqLanguageModel, register_model
from fairseq.modules import (
    AdaptiveInput,
    AdaptiveSoftmax,
    FairseqDropout,
    SinusoidalPositionalEmbedding,
)
from omegaconf import II
from torch import nn

from ..model_names import model_name
from ..modules import build_decoder_layers, build_final_norm
from .blocks_config import FastWeightBlocksConfig, check_blocks_config
from .published_init import apply_published_init


@dataclass
class FastWeightLanguageModelConfig(FastWeightBlocksConfig):
    """The blocks' options (``FastWeightBlocksConfig``) and the LM's input and output."""

    no_token_positional_embeddings: bool = field(
        default=False, metadata={"help": "no sinusoidal positional embeddings"}
    )
    no_scale_embedding: bool = field(
        default=False, metadata={"help": "do not scale embeddings by sqrt(D)"}
    )
    share_decoder_input_output_embed: bool = field(
        default=False,
        metadata={"help": "tie input embeddings and output projection (no adaptive softmax)"},
    )
    adaptive_input: bool = field(default=False, metadata={"help": "use adaptive input embeddings"})
    adaptive_input_factor: float = field(
        default=4, metadata={"help": "adaptive input: dimension shrink factor between bands"}
    )
    adaptive_input_cutoff: Optional[str] = field(
        default=None,
        metadata={"help": "adaptive input: comma-separated cutoffs, e.g. 20000,40000,200000"},
    )
    adaptive_softmax_cutoff: Optional[str] = field(
        default=None,
        metadata={"help": "adaptive softmax: comma-separated cutoffs, e.g. 20000,40000,200000 "
                  "(use with --criterion adaptive_loss)"},
    )
    adaptive_softmax_factor: float = field(
        default=4, metadata={"help": "adaptive softmax: dimension shrink factor between bands"}
    )
    adaptive_softmax_dropout: float = field(
        default=0.0, metadata={"help": "adaptive softmax: dropout in the tail projections"}
    )
    tie_adaptive_weights: bool = field(
        default=False,
        metadata={"help": "tie the adaptive softmax's word weights to the adaptive input's"},
    )
    tie_adaptive_proj: bool = field(
        default=False,
        metadata={"help": "also tie the adaptive softmax's band projections to the adaptive input's"},
    )
    weight_init: ChoiceEnum(["default", "published"]) = field(
        default="default",
        metadata={"help": "default: PyTorch's and fairseq's initialisations; published: the authors' "
                  "(every Linear weight and embedding N(0, 0.02), biases 0, LayerNorm gains N(1, 0.02), "
                  "the adaptive input's band projections the identity; set by the WikiText-103 "
                  "architectures; see fwp_plugin/models/published_init.py)"},
    )
    dropout_before_output: bool = field(
        default=False,
        metadata={"help": "dropout (--dropout) on the last hidden state before the output layer, "
                  "as published (set by the WikiText-103 architectures)"},
    )
    carried_state_decay: float = field(
        default=1.0,
        metadata={"help": "with --task language_modeling_carried_state: multiply the fast weights carried "
                  "into every segment by this factor (the recurrent outputs are kept). 1: no decay, the "
                  "published model; below 1 the state forgets with a horizon of about "
                  "tokens-per-sample / (1 - factor) tokens, which keeps a state carried past the length "
                  "of the training rows in range. At evaluation: fairseq-eval-lm --model-overrides "
                  "\"{'carried_state_decay': 0.98}\""},
    )
    tokens_per_sample: int = II("task.tokens_per_sample")
    max_target_positions: Optional[int] = II("task.max_target_positions")


def check_config(cfg) -> None:
    """Reject settings the model cannot honour, naming the fix."""
    check_blocks_config(cfg)
    if not 0 < cfg.carried_state_decay <= 1:
        raise ValueError(f"--carried-state-decay must lie in (0, 1] (1: no decay), got {cfg.carried_state_decay}")
    if cfg.carried_state_decay != 1 and model_name(str(cfg.fast_weight_type)) == "transformer":
        raise ValueError("--carried-state-decay decays fast weights; the softmax Transformer keeps past keys and "
                         "values instead: leave it at 1")
    if cfg.tie_adaptive_weights:
        if not (cfg.adaptive_input and cfg.adaptive_softmax_cutoff):
            raise ValueError("--tie-adaptive-weights needs --adaptive-input and --adaptive-softmax-cutoff")
        if cfg.adaptive_input_cutoff != cfg.adaptive_softmax_cutoff:
            raise ValueError(
                f"--tie-adaptive-weights needs equal cutoffs, got adaptive input "
                f"{cfg.adaptive_input_cutoff} and adaptive softmax {cfg.adaptive_softmax_cutoff}"
            )
        if cfg.adaptive_input_factor != cfg.adaptive_softmax_factor:
            raise ValueError("--tie-adaptive-weights needs equal adaptive input and softmax factors")
    if cfg.share_decoder_input_output_embed and (cfg.adaptive_input or cfg.adaptive_softmax_cutoff):
        raise ValueError(
            "--share-decoder-input-output-embed is for plain embeddings; "
            "with adaptive input/softmax use --tie-adaptive-weights"
        )


def check_cutoffs(cfg, dictionary_size: int) -> None:
    """Adaptive input/softmax cutoffs lie below the dictionary size (the WikiText-103
    architectures' 20000,40000,200000 need more than 200,000 types)."""
    for flag, text in (("--adaptive-input-cutoff", cfg.adaptive_input_cutoff if cfg.adaptive_input else None),
                       ("--adaptive-softmax-cutoff", cfg.adaptive_softmax_cutoff)):
        cutoffs = parse_cutoff(text)
        if cutoffs and max(cutoffs) >= dictionary_size:
            raise ValueError(
                f"{flag} {text} needs a dictionary of more than {max(cutoffs):,} types, this one has "
                f"{dictionary_size:,}: pass smaller cutoffs to both --adaptive-input-cutoff and "
                "--adaptive-softmax-cutoff (e.g. 2000,10000 for WikiText-2's 33K types), or use an "
                "architecture without adaptive input/softmax (fwp_*_tiny, or --arch fwp_lm)"
            )


def parse_cutoff(text: Optional[str]):
    return options.eval_str_list(text, type=int) if text else None


class FastWeightDecoder(FairseqIncrementalDecoder):
    """Tokens [B, T] -> logits [B, T, V] (or features [B, T, D] with adaptive softmax)."""

    def __init__(self, cfg, dictionary):
        super().__init__(dictionary)
        embed_dim = cfg.decoder_embed_dim
        # Sinusoidal positions are built for --max-target-positions (default --tokens-per-sample);
        # without them the recurrence has no length limit (fairseq's own "no limit" is sys.maxsize).
        self.max_target_positions = cfg.max_target_positions or (
            sys.maxsize if cfg.no_token_positional_embeddings else cfg.tokens_per_sample
        )
        padding_idx = dictionary.pad()
        if cfg.adaptive_input:
            self.embed_tokens = AdaptiveInput(
                len(dictionary), padding_idx, embed_dim, cfg.adaptive_input_factor,
                embed_dim, parse_cutoff(cfg.adaptive_input_cutoff),
            )
        else:
            self.embed_tokens = nn.Embedding(len(dictionary), embed_dim, padding_idx)
            nn.init.normal_(self.embed_tokens.weight, mean=0, std=embed_dim**-0.5)
            nn.init.constant_(self.embed_tokens.weight[padding_idx], 0)
        self.embed_scale = 1.0 if cfg.no_scale_embedding else embed_dim**0.5
        self.embed_positions = (
            None if cfg.no_token_positional_embeddings
            else SinusoidalPositionalEmbedding(embed_dim, padding_idx, init_size=self.max_target_positions + padding_idx + 1)
        )
        self.dropout_module = FairseqDropout(cfg.dropout, module_name=type(self).__name__)
        self.layers = build_decoder_layers(cfg)
        self.final_norm = build_final_norm(cfg)
        self.dropout_before_output = cfg.dropout_before_output
        self.carried_state_decay = cfg.carried_state_decay
        self.adaptive_softmax = None
        self.output_projection = None
        if cfg.adaptive_softmax_cutoff:
            self.adaptive_softmax = AdaptiveSoftmax(
                len(dictionary), embed_dim, parse_cutoff(cfg.adaptive_softmax_cutoff),
                cfg.adaptive_softmax_dropout, factor=cfg.adaptive_softmax_factor,
                adaptive_inputs=self.embed_tokens if cfg.tie_adaptive_weights else None,
                tie_proj=cfg.tie_adaptive_proj,
            )
        else:
            self.output_projection = nn.Linear(embed_dim, len(dictionary), bias=False)
            if cfg.share_decoder_input_output_embed:
                self.output_projection.weight = self.embed_tokens.weight
            else:
                nn.init.normal_(self.output_projection.weight, mean=0, std=embed_dim**-0.5)

    def forward(
        self,
        prev_output_tokens: torch.Tensor,
        encoder_out=None,
        incremental_state: Optional[Dict[str, Dict[str, Optional[torch.Tensor]]]] = None,
        features_only: bool = False,
        carried_state: Optional[Dict[str, Dict[str, Optional[torch.Tensor]]]] = None,
        **unused,
    ):
        """prev_output_tokens: [B, T].

        With ``incremental_state`` only the last token is new (fairseq's
        decoding convention); the fast weights carry the rest. With
        ``carried_state`` (a dict, empty at the start of a stream) every token
        is new: the fast weights start from the states in that dict and the
        final states are left there for the next segment (truncated BPTT).
        """
        features = self.extract_features(prev_output_tokens, incremental_state, carried_state)
        output = features if features_only else self.output_layer(features)
        return output, {"attn": [None], "inner_states": None}

    def extract_features(self, prev_output_tokens, incremental_state=None, carried_state=None):
        """[B, T] -> [B, T, D] (only the last position when decoding incrementally)."""
        if carried_state is not None:
            if incremental_state is not None:
                raise ValueError("pass either incremental_state or carried_state, not both")
            if self.embed_positions is not None:
                raise ValueError(
                    "carrying fast weights across segments needs --no-token-positional-embeddings "
                    "(positions would restart at every segment)"
                )
        positions = (
            self.embed_positions(prev_output_tokens, incremental_state=incremental_state)
            if self.embed_positions is not None else None
        )
        if incremental_state is not None:
            prev_output_tokens = prev_output_tokens[:, -1:]
        x = self.embed_scale * self.embed_tokens(prev_output_tokens)
        if positions is not None:
            x = x + positions
        x = self.dropout_module(x)
        state_store = incremental_state if incremental_state is not None else carried_state
        decay = carried_state is not None and self.carried_state_decay != 1
        for layer in self.layers:
            if decay:  # the state the previous segment left (none at a stream's start)
                layer.fast_weight.decay_state(carried_state, self.carried_state_decay)
            x = layer(x, state_store)
        if self.final_norm is not None:
            x = self.final_norm(x)
        return self.dropout_module(x) if self.dropout_before_output else x

    def output_layer(self, features: torch.Tensor) -> torch.Tensor:
        """Features stay features under adaptive softmax (the criterion applies it)."""
        return features if self.adaptive_softmax is not None else self.output_projection(features)

    def max_positions(self) -> int:
        """The longest input: --max-target-positions if set, else --tokens-per-sample with
        positional embeddings and unbounded (sys.maxsize) without them."""
        return self.max_target_positions


@register_model("fwp_lm", dataclass=FastWeightLanguageModelConfig)
class FastWeightLanguageModel(FairseqLanguageModel):
    @classmethod
    def build_model(cls, cfg, task):
        check_config(cfg)
        check_cutoffs(cfg, len(task.target_dictionary))
        model = cls(FastWeightDecoder(cfg, task.target_dictionary))
        if cfg.weight_init == "published":
            apply_published_init(model)
        return model
