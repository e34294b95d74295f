"""Training speed of the paper's small language models under fairseq-train, relative to the Transformer's.

The GPU suite's end-to-end part (`python -m benchmarks.gpu_suite`). For each model,
in a fresh process, fairseq-train runs a few dozen updates of its paper-small
architecture (`fwp_<model>_wt103_small`; the Transformer: fairseq's transformer_lm
as `transformer_lm_fwp_wt103_small`) with `--fp16` (or `--bf16`) on a synthetic
token stream over a 267,735-type dictionary, WikiText-103's (written in seconds:
dict.txt and a binarized uniform random stream). Reported: words per second
after warm-up (the median of fairseq's train_inner logs after the first), the
peak GPU memory, and each model's words per second over the Transformer's from
the same run, beside the paper's ratios. Then a few updates of the carried-state
task (the full-context Delta RNN) and one `fairseq-eval-lm` pass over the
stream with its checkpoint.

    python -m benchmarks.fairseq_throughput --precision fp16
    python -m benchmarks.fairseq_throughput --smoke      # tiny models on CPU: the code paths only

Run from the repository root; it prints a markdown table.
"""

import argparse
import atexit
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

PLUGIN = str(Path(__file__).resolve().parents[1] / "fwp_plugin")
WIKITEXT103_TYPES = 267_735
MODELS = ("transformer", "linear_transformer", "delta_net", "delta_rnn", "delta_lstm", "rdn")
# The paper's training speed relative to the Transformer's (small setting; MODELS.md).
PAPER_SPEED_RATIO = {"linear_transformer": 2.0, "delta_net": 1.91, "delta_rnn": 1.24, "rdn": 1.06, "delta_lstm": 0.42}
# --smoke: a CPU-sized model and data (the code paths, not a measurement).
SMOKE_FLAGS = ["--decoder-layers", "2", "--adaptive-input-cutoff", "200,400", "--adaptive-softmax-cutoff", "200,400"]


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS, help="models to train")
    parser.add_argument("--precision", default="fp16", choices=["fp16", "bf16"], help="fairseq's mixed precision")
    parser.add_argument("--updates", type=int, default=30, help="updates per model")
    parser.add_argument("--log-interval", type=int, default=5, help="updates per train_inner log")
    parser.add_argument("--batch-size", type=int, default=24, help="segments of 256 tokens per update")
    parser.add_argument("--tokens", type=int, default=2_000_000, help="tokens of the synthetic stream")
    parser.add_argument("--smoke", action="store_true", help="tiny models and data on CPU: the code paths only")
    parser.add_argument("--train-one", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)  # internal
    args = parser.parse_args(argv)
    if args.smoke:
        args.updates, args.log_interval, args.batch_size, args.tokens = 3, 1, 2, 5_000
    return args


def write_synthetic_data(directory: str, types: int, splits: Dict[str, int]) -> None:
    """dict.txt with `types` types and splits of uniformly random tokens ({name: tokens}), binarized as
    fairseq-preprocess writes them (lines of 100 tokens)."""
    import torch
    from fairseq.data import Dictionary, indexed_dataset

    dictionary = Dictionary()
    for index in range(types):
        dictionary.add_symbol(f"w{index}", n=types - index)
    dictionary.save(os.path.join(directory, "dict.txt"))
    generator = torch.Generator().manual_seed(0)
    for split, size in splits.items():
        builder = indexed_dataset.make_builder(
            os.path.join(directory, f"{split}.bin"), impl="mmap", vocab_size=len(dictionary)
        )
        stream = torch.randint(dictionary.nspecial, len(dictionary), (size,), generator=generator)
        for line in stream.split(100):
            builder.add_item(torch.cat([line, torch.tensor([dictionary.eos()])]))
        builder.finalize(os.path.join(directory, f"{split}.idx"))


def architecture(model: str) -> str:
    from fwp_plugin.model_names import architecture_of

    return architecture_of(model, "wt103_small")


# The task flags of the throughput runs and of the carried-state run.
LANGUAGE_MODELING = ["--task", "language_modeling", "--sample-break-mode", "none", "--no-save"]


def train(data: str, arch: str, args: argparse.Namespace, task_flags: List[str]) -> Dict[str, object]:
    """fairseq-train in a fresh process -> {"wps": median words/s after the first log, "peak_gb": peak GPU
    memory (None on CPU), "log": the output}."""
    device_flags = ["--cpu"] if args.smoke else [f"--{args.precision}"]
    command = [
        sys.executable,
        "-m",
        "benchmarks.fairseq_throughput",
        "--train-one",
        data,
        "--user-dir",
        PLUGIN,
        "--arch",
        arch,
        "--criterion",
        "adaptive_loss",
        "--ddp-backend",
        "legacy_ddp",
        "--tokens-per-sample",
        "256",
        "--batch-size",
        str(args.batch_size),
        "--optimizer",
        "adam",
        "--lr",
        "1e-4",
        "--max-update",
        str(args.updates),
        "--log-format",
        "simple",
        "--log-interval",
        str(args.log_interval),
        "--disable-validation",
        "--num-workers",
        "0",
        "--seed",
        "1",
        *task_flags,
        *device_flags,
        *(SMOKE_FLAGS if args.smoke else []),
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    log = result.stdout + result.stderr
    if result.returncode != 0:
        raise RuntimeError(" ".join(log.strip().splitlines()[-1:]) or f"fairseq-train exited {result.returncode}")
    speeds = [float(value) for value in re.findall(r"\| train_inner \|.* wps=([0-9.]+)", log)]
    peak = re.findall(r"peak_gpu_bytes=(\d+)", log)
    return {
        "wps": statistics.median(speeds[1:] or speeds) if speeds else None,
        "peak_gb": int(peak[-1]) / 2**30 if peak and int(peak[-1]) > 0 else None,
        "log": log,
    }


def train_one(fairseq_args: List[str]) -> None:
    """fairseq-train with `fairseq_args` in this process, then the peak CUDA memory (peak_gpu_bytes=...)."""
    import torch
    from fairseq_cli.train import cli_main

    atexit.register(
        lambda: print(f"peak_gpu_bytes={torch.cuda.max_memory_allocated() if torch.cuda.is_available() else 0}")
    )
    sys.argv = ["fairseq-train", *fairseq_args]
    cli_main()


def throughput_rows(args: argparse.Namespace, deadline: float = float("inf")) -> List[str]:
    """The table's rows, printed as they come; a model that fails is a FAIL row and the others go on, and none
    starts after `deadline` (time.perf_counter(); its row says SKIP)."""
    rows = [
        "| model | arch | words/s | peak GPU memory (GB) | / Transformer | paper / Transformer | result |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    print("\n".join(rows), flush=True)
    with tempfile.TemporaryDirectory() as data:
        splits = {"train": args.tokens, "valid": max(args.tokens // 20, 1000)}
        write_synthetic_data(data, 1000 if args.smoke else WIKITEXT103_TYPES, splits)
        speeds: Dict[str, float] = {}
        for model in args.models:
            arch = architecture(model)
            if time.perf_counter() > deadline:
                rows.append(f"| {model} | {arch} | skipped: past the time budget | | | | SKIP |")
                print(rows[-1], flush=True)
                continue
            try:
                result = train(data, arch, args, LANGUAGE_MODELING)
            except RuntimeError as error:
                row = f"| {model} | {arch} | {str(error)[:200].replace('|', '/')} | | | | FAIL |"
            else:
                speeds[model] = result["wps"]
                ratio = f"{result['wps'] / speeds['transformer']:.2f}" if "transformer" in speeds else ""
                peak = f"{result['peak_gb']:.1f}" if result["peak_gb"] else "n/a"
                row = (
                    f"| {model} | {arch} | {result['wps']:.0f} | {peak} | {ratio} "
                    f"| {PAPER_SPEED_RATIO.get(model, '')} | pass |"
                )
            rows.append(row)
            print(row, flush=True)
        if time.perf_counter() <= deadline:
            rows += carried_state_rows(data, args)
    return rows


def carried_state_rows(data: str, args: argparse.Namespace) -> List[str]:
    """A few updates of the carried-state task (full-context Delta RNN), then one fairseq-eval-lm pass."""
    rows = []
    with tempfile.TemporaryDirectory() as save_dir:
        arch = architecture("delta_rnn")
        flags = [
            "--task",
            "language_modeling_carried_state",
            "--no-token-positional-embeddings",
            "--save-dir",
            save_dir,
            "--no-epoch-checkpoints",
        ]
        try:
            result = train(data, arch, args, flags)
            row = f"| delta_rnn, carried state | {arch} | {result['wps']:.0f} | | | | pass |"
        except RuntimeError as error:
            row = f"| delta_rnn, carried state | {arch} | {str(error)[:200].replace('|', '/')} | | | | FAIL |"
        rows.append(row)
        print(row, flush=True)
        command = [
            sys.executable,
            "-m",
            "fairseq_cli.eval_lm",
            data,
            "--user-dir",
            PLUGIN,
            "--path",
            os.path.join(save_dir, "checkpoint_last.pt"),
            "--task",
            "language_modeling_carried_state",
            "--gen-subset",
            "valid",
            "--batch-size",
            "1",
            "--num-workers",
            "0",
            *(["--cpu"] if args.smoke else []),
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        log = result.stdout + result.stderr
        perplexity = re.findall(r"Perplexity: ([0-9.]+)", log)
        if result.returncode == 0 and perplexity:
            cells = f"ppl {perplexity[-1]} | | | | pass"
        else:
            last_line = log.strip().splitlines()[-1] if log.strip() else f"exit status {result.returncode}"
            cells = f"{last_line[:200].replace('|', '/')} | | | | FAIL"
        rows.append(f"| delta_rnn, fairseq-eval-lm (carried state) | {arch} | {cells} |")
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    args = parse_args()
    if args.train_one is not None:
        train_one(args.train_one)
        return
    throughput_rows(args)


if __name__ == "__main__":
    main()
