"""Training memory of the paper's WikiText-103 models (CPU, float32), per model and size.

For each model, in a fresh process: build the paper's architecture over a
267,735-type dictionary, then run one forward+backward of `--segments`
segments of 256 (small) / 384 (medium) tokens with the adaptive-softmax loss.
Reported:
- the parameter count and the memory of the weights, their gradients and
  Adam's two moments (4 x 4 bytes per parameter, float32), and
- the activation memory per segment: the process's peak resident memory
  during the step, minus what it held before and the gradients, divided by
  the number of segments (so: what one more segment per GPU costs).
A GPU needs about weights-and-optimiser + segments-per-GPU x activations:
the last column is that for one of 4 GPUs sharing the paper's 96 (small) /
56 (medium) segments per update. With `--fp16` the activations are roughly
halved (not measured here).

    python -m benchmarks.bench_memory                     # small and medium, 4 segments
    python -m benchmarks.bench_memory --sizes small --segments 8
    python -m benchmarks.bench_memory --plot memory.png      # also draws the GB
"""

import argparse
import resource
import subprocess
import sys
from datetime import date
from types import SimpleNamespace

from benchmarks import plots
from fwp_plugin.model_names import models_of

MODELS = models_of("language_model")
SEGMENT_LENGTH = {"small": 256, "medium": 384}
WIKITEXT103_TYPES = 267_735


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["small", "medium"], choices=list(SEGMENT_LENGTH),
                        help="paper sizes to measure")
    parser.add_argument("--models", nargs="+", default=MODELS, choices=MODELS, help="models to measure")
    parser.add_argument("--segments", type=int, default=4, help="segments in the measured forward+backward")
    parser.add_argument("--plot", metavar="PATH", help="also write the table as a bar chart (PNG)")
    parser.add_argument("--measure-one", nargs=2, metavar=("MODEL", "SIZE"),
                        help=argparse.SUPPRESS)  # internal: measure one model in this (fresh) process
    return parser.parse_args()


def peak_resident_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def measure_one(model_name: str, size: str, segments: int) -> None:
    """Print 'parameters activation_bytes_per_segment' for one model (run in a fresh process)."""
    import torch
    from fairseq.criterions.adaptive_loss import AdaptiveLoss
    from fairseq.data import Dictionary

    import fwp_plugin  # noqa: F401  (registers the architectures)
    from fwp_plugin.model_names import architecture_of
    from fwp_plugin.models.from_flags import build_model_from_flags

    torch.manual_seed(0)
    dictionary = Dictionary()
    for index in range(WIKITEXT103_TYPES):
        dictionary.add_symbol(f"w{index}")
    arch = architecture_of(model_name, f"wt103_{size}")
    length = SEGMENT_LENGTH[size]
    model = build_model_from_flags(arch, dictionary, tokens_per_sample=length)
    parameters = sum(p.numel() for p in model.parameters())
    criterion = AdaptiveLoss(SimpleNamespace(target_dictionary=dictionary), sentence_avg=False)
    tokens = torch.randint(dictionary.nspecial, len(dictionary), (segments, length + 1))
    sample = {"net_input": {"src_tokens": tokens[:, :-1].contiguous()}, "target": tokens[:, 1:].contiguous(),
              "ntokens": segments * length}
    before = peak_resident_bytes()
    loss, _, _ = criterion(model, sample)
    loss.backward()
    activations = peak_resident_bytes() - before - 4 * parameters
    print(parameters, max(activations, 0) / segments)


def measure(model_name: str, size: str, segments: int):
    """(parameters, activation bytes per segment), measured in a fresh Python process."""
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_memory", "--measure-one", model_name, size,
         "--segments", str(segments)],
        capture_output=True, text=True, check=True,
    )
    parameters, per_segment = result.stdout.split()[-2:]
    return int(parameters), float(per_segment)


def main() -> None:
    args = parse_args()
    if args.measure_one:
        measure_one(*args.measure_one, args.segments)
        return
    print(f"`python -m benchmarks.bench_memory --segments {args.segments}`, run on {date.today().isoformat()} "
          "(CPU, float32; activations from the peak resident memory of one forward+backward).\n")
    print("| model | size | params | weights + grads + Adam (GB) | activations per segment (GB) |"
          " one of 4 GPUs: 24 / 14 segments (GB) |")
    print("|---|---|---:|---:|---:|---:|")
    rows, gigabytes = [], []  # per row: weights + grads + Adam, activations per segment, one of 4 GPUs
    for size in args.sizes:
        segments_per_gpu = (96 if size == "small" else 56) // 4
        for model_name in args.models:
            parameters, per_segment = measure(model_name, size, args.segments)
            fixed = 16 * parameters
            total = fixed + segments_per_gpu * per_segment
            print(f"| {model_name} | {size} | {parameters / 1e6:.1f}M | {fixed / 1e9:.2f} | {per_segment / 1e9:.3f} |"
                  f" {total / 1e9:.1f} |", flush=True)
            rows.append(f"{model_name}, {size}")
            gigabytes.append([fixed / 1e9, per_segment / 1e9, total / 1e9])
    if args.plot:
        columns = list(zip(*gigabytes))
        plots.bar_figure(
            f"training memory (CPU float32, {args.segments} segments measured)", rows,
            [("GB", {"weights + grads + Adam": columns[0], "activations per segment": columns[1]}),
             ("one of 4 GPUs, 24 (small) / 14 (medium) segments: GB", {"total": columns[2]})],
        ).savefig(args.plot, dpi=100)


if __name__ == "__main__":
    main()
