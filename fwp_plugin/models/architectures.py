"""Named architectures: the paper's WikiText-103 and algorithmic settings, and tiny test sizes.

Each function fills only the options the user did not give on the command
line (fairseq's ``register_model_architecture`` convention), so any flag can
still override an architecture's value.
"""

from typing import NamedTuple, Optional

from fairseq.models import register_model_architecture
from fairseq.models.transformer_lm import base_lm_architecture
from fairseq.utils import safe_getattr

# The paper's WikiText-103 settings (MODELS.md, "Paper configurations").
PAPER_SIZES = {
    "small": dict(decoder_layers=16, decoder_embed_dim=128, decoder_attention_heads=8,
                  decoder_ffn_embed_dim=2048),
    "medium": dict(decoder_layers=16, decoder_embed_dim=256, decoder_attention_heads=8,
                   decoder_ffn_embed_dim=2048),
}
TINY_SIZE = dict(decoder_layers=2, decoder_embed_dim=32, decoder_attention_heads=4,
                 decoder_ffn_embed_dim=64)
WT103_CUTOFF = "20000,40000,200000"
# Tied adaptive input/softmax with factor 1, as in the published models.
PAPER_OUTPUT = dict(
    dropout=0.1, adaptive_input=True, adaptive_input_factor=1, adaptive_input_cutoff=WT103_CUTOFF,
    adaptive_softmax_cutoff=WT103_CUTOFF, adaptive_softmax_factor=1,
    tie_adaptive_weights=True, tie_adaptive_proj=True,
)
# The paper's per-type sublayer settings.
FAST_WEIGHT_SETTINGS = {
    "linear_transformer": dict(fast_weight_type="linear", feature_map="elu1", attn_normalize=False),
    "delta_net": dict(fast_weight_type="delta", feature_map="elu1_sumnorm"),
    "delta_mlp": dict(fast_weight_type="delta_mlp", feature_map="elu1_sumnorm",
                      delta_mlp_paper_slow_size=True, fw_no_output_scaling=True),
    "delta_delta": dict(fast_weight_type="delta_delta", feature_map="elu1_sumnorm",
                        fw_no_output_scaling=True),
    "delta_rnn": dict(fast_weight_type="delta_rnn", feature_map="elu1_sumnorm"),
    "delta_lstm": dict(fast_weight_type="delta_lstm", feature_map="elu1_sumnorm"),
    "rdn": dict(fast_weight_type="rdn", feature_map="softmax"),
}


class Architecture(NamedTuple):
    model: str
    description: str
    paper_params: Optional[float]  # with a 267,735-type dictionary (WikiText-103)


ARCHITECTURES = {}  # name -> Architecture


def set_defaults(args, **values):
    """Set each option the user left unset."""
    for name, value in values.items():
        setattr(args, name, safe_getattr(args, name, value))


def register(model, name, description, paper_params, **values):
    def architecture(args):
        set_defaults(args, **values)
        if model == "transformer_lm":
            base_lm_architecture(args)

    register_model_architecture(model, name)(architecture)
    ARCHITECTURES[name] = Architecture(model, description, paper_params)


PAPER_PARAMS_SMALL = {
    "linear_transformer": 44.0e6, "delta_net": 44.0e6, "delta_mlp": 48.8e6, "delta_delta": 44.6e6,
    "delta_rnn": 44.6e6, "delta_lstm": 47.3e6, "rdn": 44.1e6,
}
TITLES = {"rdn": "Recurrent Delta Net", "delta_mlp": "Delta MLP", "delta_rnn": "Delta RNN",
          "delta_lstm": "Delta LSTM"}


def title_of(variant: str) -> str:
    """The variant's name as the paper writes it."""
    return TITLES.get(variant, variant.replace("_", " ").title())


for variant, settings in FAST_WEIGHT_SETTINGS.items():
    title = title_of(variant)
    for size, dims in PAPER_SIZES.items():
        register(
            "fwp_lm", f"fwp_{variant}_wt103_{size}", f"{title}, paper {size} WikiText-103",
            PAPER_PARAMS_SMALL[variant] if size == "small" else None,
            **settings, **dims, **PAPER_OUTPUT, residual_from_normalized=True,
        )
    register("fwp_lm", f"fwp_{variant}_tiny", f"{title}, tiny (tests, CPU runs)", None,
             **settings, **TINY_SIZE, residual_from_normalized=True,
             share_decoder_input_output_embed=True)

for size, dims in PAPER_SIZES.items():
    register(
        "transformer_lm", f"transformer_lm_fwp_wt103_{size}",
        f"softmax Transformer baseline (fairseq transformer_lm), paper {size} WikiText-103",
        44.0e6 if size == "small" else None,
        **dims, **PAPER_OUTPUT, attention_dropout=0.0, decoder_normalize_before=True,
    )
register("transformer_lm", "transformer_lm_fwp_tiny", "softmax Transformer baseline, tiny", None,
         **TINY_SIZE, decoder_normalize_before=True, share_decoder_input_output_embed=True)


# The paper's algorithmic tasks (code execution, sequential ListOps): the published command's
# --num_layer 4 --hidden_size 256 --n_head 16 --ff_factor 4 --dropout 0.1 --remove_pos_enc
# (the taggers have no positional encoding). The published algorithmic blocks add the sublayer
# output to x (not LN(x)) and do not scale the fast-weight output by 1/sqrt(d_head).
ALGORITHMIC_SIZES = {
    "": dict(decoder_layers=4, decoder_embed_dim=256, decoder_attention_heads=16,
             decoder_ffn_embed_dim=1024, dropout=0.1),
    "_tiny": TINY_SIZE,
}
ALGORITHMIC_BLOCKS = dict(residual_from_normalized=False, fw_no_output_scaling=True)
# The LSTM's paper sizes are not given in MODELS.md: the published command's shared flags
# (4 layers, hidden 256, dropout 0.1) and the published code's embedding default (128).
LSTM_SIZES = {
    "": dict(embed_dim=128, lstm_hidden_size=256, lstm_layers=4, dropout=0.1),
    "_tiny": dict(embed_dim=16, lstm_hidden_size=32, lstm_layers=2),
}

for suffix, dims in ALGORITHMIC_SIZES.items():
    what = "algorithmic tasks, tiny (tests, CPU runs)" if suffix else "paper algorithmic tasks"
    for variant, settings in FAST_WEIGHT_SETTINGS.items():
        register("fwp_tagger", f"fwp_{variant}_algorithmic{suffix}",
                 f"{title_of(variant)} tagger, {what}", None,
                 **{**settings, **ALGORITHMIC_BLOCKS}, **dims)
    register("fwp_tagger", f"transformer_algorithmic{suffix}",
             f"softmax Transformer tagger (same blocks), {what}", None,
             fast_weight_type="softmax", **ALGORITHMIC_BLOCKS, **dims)
    register("lstm_tagger", f"lstm_algorithmic{suffix}", f"LSTM tagger, {what}",
             None, **LSTM_SIZES[suffix])


def architecture_table() -> str:
    """The README's markdown table of registered architectures."""
    rows = ["| architecture | model | what | paper params (267,735 types) |", "|---|---|---|---|"]
    for name, arch in ARCHITECTURES.items():
        params = f"{arch.paper_params / 1e6:.1f}M" if arch.paper_params else ""
        rows.append(f"| `{name}` | `{arch.model}` | {arch.description} | {params} |")
    return "\n".join(rows)
