"""The options of a stack of fast-weight blocks, shared by every model built from them.

``FastWeightBlocksConfig`` holds what ``FastWeightDecoderLayer`` and the
fast-weight sublayers read: the sublayer type and its options, the block
layout and the sizes. The language model and the sequence tagger extend it
with their own input and output options.
"""

from dataclasses import dataclass, field

from fairseq.dataclass import ChoiceEnum, FairseqDataclass

from ..modules import FEATURE_MAP_NAMES
from ..modules.feature_maps import SUMNORM_EPS
from ..modules.registry import FAST_WEIGHT_TYPE_CHOICES
from ..sizes import check_positive


@dataclass
class FastWeightBlocksConfig(FairseqDataclass):
    fast_weight_type: ChoiceEnum(FAST_WEIGHT_TYPE_CHOICES) = field(
        default="delta_net",
        metadata={"help": "fast-weight sublayer of every block, named by its model: linear_transformer "
                  "(sum rule), delta_net, delta_mlp, delta_delta, delta_rnn, delta_lstm, rdn (Recurrent "
                  "Delta Net), transformer (causal softmax attention: the Transformer baseline in the "
                  "same blocks); linear, delta and softmax are accepted old spellings"},
    )
    feature_map: ChoiceEnum(list(FEATURE_MAP_NAMES)) = field(
        default="elu1_sumnorm",
        metadata={"help": "feature map phi for keys and queries: elu1 (elu+1), "
                  "elu1_sumnorm (elu+1 then sum normalisation; the paper's delta-rule map), "
                  "dpfp / dpfp_sumnorm (DPFP with --dpfp-nu), silu_l2 (L2-normalised SiLU), "
                  "softmax (over one head)"},
    )
    dpfp_nu: int = field(
        default=1, metadata={"help": "nu of the DPFP feature map (keys get 2*nu*d_head entries)"}
    )
    sumnorm_eps: float = field(
        default=SUMNORM_EPS,
        metadata={"help": "epsilon added to the sum of the sum normalisation (the *_sumnorm feature "
                  "maps); published: 0 for the Linear Transformer, Delta Net, Delta RNN and Delta "
                  "LSTM, 1e-5 for the Delta MLP and Delta Delta Net (set by their architectures)"},
    )
    attn_normalize: bool = field(
        default=False,
        metadata={"help": "linear attention only: divide the output by (z_t . q_t + eps), "
                  "z_t the running key sum (the paper's LM setting skips it)"},
    )
    fw_no_output_scaling: bool = field(
        default=False,
        metadata={"help": "do not scale the fast-weight output by 1/sqrt(d_head) "
                  "(the published LMs scale it)"},
    )
    beta_max: float = field(
        default=1.0,
        metadata={"help": "delta rule: beta = beta_max * sigmoid(b); 1.0 keeps beta in (0, 1) "
                  "as in the paper, 2.0 allows negative eigenvalues (beyond the paper)"},
    )
    delta_mlp_depth: int = field(
        default=1, metadata={"help": "delta_mlp: number of fast layer pairs (A, B) in the fast net"}
    )
    delta_mlp_hidden_factor: float = field(
        default=4, metadata={"help": "delta_mlp: fast hidden size per head = factor * d_head"}
    )
    delta_mlp_paper_slow_size: bool = field(
        default=False,
        metadata={"help": "delta_mlp: size the slow projection as the paper's code does (it emits "
                  "keys/values for twice the fast layers it uses; the extra outputs are unused) so "
                  "the parameter count matches the paper"},
    )
    residual_from_normalized: bool = field(
        default=False,
        metadata={"help": "pre-norm only: the fast-weight sublayer returns LN(x) + FW(LN(x)) "
                  "as published, instead of x + FW(LN(x))"},
    )
    decoder_post_norm: bool = field(
        default=False,
        metadata={"help": "post-norm blocks (LN after each residual) instead of pre-norm"},
    )
    no_decoder_final_norm: bool = field(
        default=False, metadata={"help": "no LayerNorm after the last pre-norm block"}
    )
    dropout: float = field(
        default=0.1,
        metadata={"help": "dropout on embeddings, sublayer outputs and the FF hidden layer"},
    )
    decoder_embed_dim: int = field(default=128, metadata={"help": "model size D"})
    decoder_ffn_embed_dim: int = field(
        default=2048, metadata={"help": "hidden size of the position-wise feed-forward"}
    )
    decoder_layers: int = field(default=16, metadata={"help": "number of blocks"})
    decoder_attention_heads: int = field(
        default=8, metadata={"help": "number of fast-weight heads H (d_head = D / H)"}
    )


# option -> why it must be at least 1 (the Transformer baselines share these options)
BLOCK_SIZES = {
    "decoder_layers": "a model needs at least one block",
    "decoder_embed_dim": "the model size D must be positive",
    "decoder_attention_heads": "a block needs at least one head",
    "decoder_ffn_embed_dim": "the feed-forward hidden size must be positive",
}


def check_block_sizes(cfg) -> None:
    """Reject block sizes no model can be built with: below 1, or D not a multiple of H."""
    check_positive(cfg, BLOCK_SIZES)
    if cfg.decoder_embed_dim % cfg.decoder_attention_heads != 0:
        raise ValueError(
            f"decoder_embed_dim={cfg.decoder_embed_dim} is not divisible by "
            f"decoder_attention_heads={cfg.decoder_attention_heads}; "
            "pick a head count that divides it"
        )


def check_blocks_config(cfg) -> None:
    """Reject block settings the layers cannot honour, naming the fix."""
    check_block_sizes(cfg)
    if not 0 < cfg.beta_max <= 2:
        raise ValueError(f"beta_max must be in (0, 2], got {cfg.beta_max}")
