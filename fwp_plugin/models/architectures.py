"""Named architectures: the paper's WikiText-103 settings and tiny test sizes.

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

for variant, settings in FAST_WEIGHT_SETTINGS.items():
    title = TITLES.get(variant, variant.replace("_", " ").title())
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


def architecture_table() -> str:
    """The README's markdown table of registered architectures."""
    rows = ["| architecture | model | what | paper params (267,735 types) |", "|---|---|---|---|"]
    for name, arch in ARCHITECTURES.items():
        params = f"{arch.paper_params / 1e6:.1f}M" if arch.paper_params else ""
        rows.append(f"| `{name}` | `{arch.model}` | {arch.description} | {params} |")
    return "\n".join(rows)
