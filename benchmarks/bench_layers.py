"""Training throughput per fast-weight type, relative to the Delta Net (CPU, float32).

For every registered fast-weight type, times forward+backward of
- one decoder block at the paper's small WikiText-103 size (d_model 128,
  8 heads of 16, d_ff 2048), on a [batch, length, 128] input, and
- the tiny LM (architecture ``fwp_<variant>_tiny``: 2 blocks, d_model 32) on
  [batch, length] tokens of a 1,000-word vocabulary, with fairseq's softmax
  Transformer (``transformer_lm_fwp_tiny``) as a baseline,
and prints tokens/s and the ratio to the Delta Net beside the paper's
training speeds (words/s on a GPU, small setting).

    python -m benchmarks.bench_layers                  # batch 8, length 256
    python -m benchmarks.bench_layers --length 512 --repeats 5
    python -m benchmarks.bench_layers --plot layers.png      # also draws the tokens/s
"""

import argparse
from datetime import date

import torch
import torch.nn.functional as F
from fairseq.data import Dictionary

import fwp_plugin  # noqa: F401  (registers the architectures)
from benchmarks import plots
from benchmarks.bench_ops import median_seconds
from fwp_plugin.model_names import FAST_WEIGHT_MODELS, architecture_of
from fwp_plugin.models.from_flags import build_model_from_flags, model_config_from_flags
from fwp_plugin.modules import FastWeightDecoderLayer

# Training words/s in the paper (small setting); "" where it gives none.
PAPER_WORDS_PER_SECOND = {
    "transformer": "33K", "linear_transformer": "66K", "delta_net": "63K", "delta_rnn": "41K",
    "rdn": "35K", "delta_lstm": "14K",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=8, help="sequences per batch")
    parser.add_argument("--length", type=int, default=256, help="tokens per sequence")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (median reported)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch intra-op threads")
    parser.add_argument("--plot", metavar="PATH", help="also write the table as a bar chart (PNG)")
    return parser.parse_args()


def block_seconds(model: str, batch: int, length: int, repeats: int) -> float:
    """Median seconds of forward+backward of one block of ``model``'s small WikiText-103 architecture."""
    block = FastWeightDecoderLayer(model_config_from_flags(architecture_of(model, "wt103_small")))
    x = torch.randn(batch, length, block.fast_weight_norm.normalized_shape[0], requires_grad=True)
    output_grad = torch.randn_like(x)

    def forward_backward() -> None:
        torch.autograd.backward(block(x), output_grad)

    return median_seconds(forward_backward, repeats)


def lm_seconds(arch: str, batch: int, length: int, repeats: int) -> float:
    """Median seconds of forward+backward (cross-entropy) of the LM ``arch``."""
    dictionary = Dictionary()
    for i in range(1000):
        dictionary.add_symbol(f"w{i}")
    model = build_model_from_flags(arch, dictionary, tokens_per_sample=length)
    tokens = torch.randint(dictionary.nspecial, len(dictionary), (batch, length + 1))

    def forward_backward() -> None:
        logits, _ = model(tokens[:, :-1])
        F.cross_entropy(logits.flatten(0, 1), tokens[:, 1:].flatten()).backward()

    return median_seconds(forward_backward, repeats)


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    tokens = args.batch * args.length
    block_rate = {m: tokens / block_seconds(m, args.batch, args.length, args.repeats) for m in FAST_WEIGHT_MODELS}
    lm_rate = {m: tokens / lm_seconds(architecture_of(m, "tiny"), args.batch, args.length, args.repeats)
               for m in ("transformer", *FAST_WEIGHT_MODELS)}

    print(
        f"CPU float32, forward+backward, batch {args.batch} x {args.length} tokens, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {date.today()}; median of {args.repeats} runs after one warm-up\n"
    )
    print("| model | block tokens/s | block vs Delta Net | tiny LM tokens/s | tiny LM vs Delta Net "
          "| paper words/s (GPU) |")
    print("|---|---:|---:|---:|---:|---:|")
    variants = list(lm_rate)
    for variant in variants:
        block = (f"{block_rate[variant]:,.0f} | {block_rate[variant] / block_rate['delta_net']:.2f}"
                 if variant in block_rate else " | ")
        print(f"| {variant} | {block} | {lm_rate[variant]:,.0f} | "
              f"{lm_rate[variant] / lm_rate['delta_net']:.2f} | {PAPER_WORDS_PER_SECOND.get(variant, '')} |")
    if args.plot:
        plots.bar_figure(
            f"training throughput (CPU float32, forward+backward, batch {args.batch} x {args.length} tokens)",
            variants,
            [("one small block: tokens/s", {"block": [block_rate.get(variant) for variant in variants]}),
             ("tiny LM: tokens/s", {"tiny LM": [lm_rate[variant] for variant in variants]})],
        ).savefig(args.plot, dpi=100)


if __name__ == "__main__":
    main()
