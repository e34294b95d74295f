"""What changes when the fast weights are carried past the length a model was trained on.

    python recipes/wikitext103/carried_state_stats.py RUN_DIR --data DATA_BIN [--split test]
        [--row-length TOKENS] [--max-tokens N] [--carried-state-decay G]

RUN_DIR is a run of recipes/wikitext103/train.sh without positional embeddings (as
length_table.py). The split is scored twice by the run's best checkpoint, segments
as in training, the state carried along:

- "stream": one row, the state carried through the whole split;
- "rows": the split cut into as many equal rows as keep each within --row-length
  tokens (default: the length of the rows of full-context training; the rows of
  length_table.py and eval.sh), each starting from an empty state.

Up to the length of the rows both score every token from the same state; after it, the only
difference is the context the stream still carries. --carried-state-decay scores with
the model's carried-state decay (default: the run's own, 1 unless trained with one). Two tables are printed:

1. By position in the split: perplexity of the stream and of the rows on the same
   tokens, and the stream's loss minus the rows' (nats per token); "all": every
   token (with the default --row-length, fairseq-eval-lm's carried_state and
   carried_state_rows perplexities of eval.sh).
2. By tokens carried (the stream's position): the mean size of each part of the
   state after a segment (Frobenius norm of a fast-weight matrix, Euclidean norm of
   a vector, per head; the mean over heads and blocks, and the largest block mean),
   the mean absolute pre-LayerNorm output of the fast-weight sublayers, and the mean
   largest entry of the recurrent softmax sm(y) (models with one).
"""

import argparse
import math
import os
from typing import Dict, List

import torch
import torch.nn.functional as F

from collect import read_run
from length_table import PLUGIN, carried_length, check_run

# The parts of each state tuple, in the order of the ops' interfaces (fwp_kernels.ops.OPS; a test compares).
STATE_PART_NAMES = {"delta_rnn": ("W", "R", "y"), "delta_lstm": ("W", "R", "h", "c"), "rdn": ("W", "y")}
# Models whose recurrence reads sm(y_{t-1}) (MODELS.md): the part holding y_{t-1}.
RECURRENT_SOFTMAX_PART = {"delta_rnn": "y", "delta_lstm": "h"}


def position_bins(length: int, row_length: int) -> List[int]:
    """Bin edges: 0, 128, 512, 2048, 8192 (those below row_length), row_length, 2, 4, 8... x row_length, length."""
    edges = [edge for edge in (0, 128, 512, 2048, 8192) if edge < row_length] + [row_length]
    while edges[-1] * 2 < length:
        edges.append(edges[-1] * 2)
    return edges + [length] if edges[-1] < length else edges


def flat_parts(state) -> List[torch.Tensor]:
    """The tensors of a (nested tuple) state, in order."""
    if isinstance(state, tuple):
        return [tensor for part in state for tensor in flat_parts(part)]
    return [state]


def part_sizes(tensor: torch.Tensor) -> float:
    """Mean over rows and heads of each head's norm: Frobenius for [B, H, ..., D, D], Euclidean for [B, H, D]."""
    return tensor.float().flatten(2).norm(dim=-1).mean().item()


class SublayerOutputs:
    """Forward hooks on every block's fast-weight sublayer: the mean |output| of the last call."""

    def __init__(self, layers):
        self.values: List[float] = [0.0] * len(layers)
        for index, layer in enumerate(layers):
            layer.fast_weight.register_forward_hook(self.hook(index))

    def hook(self, index: int):
        def record(module, inputs, output):
            self.values[index] = output.abs().mean().item()
        return record


@torch.no_grad()
def score(model, stream: torch.Tensor, rows: int, segment_length: int, model_name: str, record_state: bool) -> Dict:
    """Per-token losses [rows * row_length] in stream order and, with record_state, per segment: its end
    position and the state statistics of ``statistics_row``."""
    from fwp_plugin.tasks.carried_state import CarriedState
    from fwp_plugin.tasks.stream_segments import StreamSegments

    segments = StreamSegments(stream, rows, segment_length)
    state = CarriedState()
    outputs = SublayerOutputs(model.decoder.layers) if record_state else None
    losses, records = [], []
    for index in range(len(segments)):
        sample = state.attach(segments[index])
        logits, _ = model(**sample["net_input"])
        lprobs = model.get_normalized_probs((logits, None), log_probs=True)
        losses.append(F.nll_loss(lprobs.transpose(1, 2), sample["target"], reduction="none"))
        if record_state:
            records.append({"end": (index * segment_length + sample["target"].shape[1]),
                            **state_statistics(state, model_name), "sublayer |output|": outputs.values[:]})
    return {"losses": torch.cat(losses, dim=1).flatten(), "records": records}


def state_statistics(state, model_name: str) -> Dict[str, List[float]]:
    """Per state part: one value per block (part_sizes); "max sm(y)": the mean largest recurrent-softmax entry."""
    names = STATE_PART_NAMES.get(model_name)
    statistics: Dict[str, List[float]] = {}
    for key in sorted(state, key=lambda key: int(key.split("layers.")[1].split(".")[0])):
        parts = flat_parts(state[key]["state"])
        for index, tensor in enumerate(parts):
            name = names[index] if names else ("W" if len(parts) == 1 else f"part {index}")
            statistics.setdefault(f"|{name}|", []).append(part_sizes(tensor))
        if model_name in RECURRENT_SOFTMAX_PART:
            last = parts[names.index(RECURRENT_SOFTMAX_PART[model_name])]
            statistics.setdefault("max sm(y)", []).append(last.float().softmax(-1).amax(-1).mean().item())
    return statistics


def perplexity(losses: torch.Tensor) -> float:
    return math.exp(losses.double().mean().item())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", help="a run directory of train.sh without positional embeddings")
    parser.add_argument("--data", required=True, help="the fairseq-preprocess directory the run was trained on")
    parser.add_argument("--split", default="test", choices=["test", "valid"], help="the split to score")
    parser.add_argument("--row-length", type=int, help="tokens per row of the 'rows' scoring "
                        "(default: the length of the rows of full-context training)")
    parser.add_argument("--max-tokens", type=int, help="score only the split's first N tokens")
    parser.add_argument("--carried-state-decay", type=float,
                        help="the model's --carried-state-decay for this scoring (default: the run's)")
    args = parser.parse_args()
    check_run(args.run_dir)
    from fairseq import checkpoint_utils, utils
    from fairseq.data import data_utils

    utils.import_user_module(argparse.Namespace(user_dir=PLUGIN))
    config = read_run(args.run_dir)["config"]
    row_length = args.row_length or carried_length("train", args.data, config)
    overrides = {"data": args.data}
    if args.carried_state_decay is not None:
        overrides["carried_state_decay"] = args.carried_state_decay
    [model], model_cfg = checkpoint_utils.load_model_ensemble(
        [os.path.join(args.run_dir, "checkpoints", "checkpoint_best.pt")], arg_overrides=overrides)
    model.eval()
    lines = data_utils.load_indexed_dataset(os.path.join(args.data, args.split))
    stream = torch.cat([lines[i] for i in range(len(lines))])[: args.max_tokens]
    segment_length = model_cfg.task.tokens_per_sample
    rows = math.ceil(len(stream) / row_length)
    row_length = (len(stream) - 1) // rows  # the split cut into equal rows (StreamSegments), none longer
    model_name = config["model"]
    streamed = score(model, stream, 1, segment_length, model_name, record_state=True)
    in_rows = score(model, stream, rows, segment_length, model_name, record_state=False)
    length = min(len(streamed["losses"]), len(in_rows["losses"]))
    edges = position_bins(length, row_length)

    print(f"{args.run_dir}: {length} tokens of {args.split}; rows of {row_length} tokens ({rows} rows)\n")
    print("| positions | stream ppl | rows ppl | stream - rows (nats/token) |")
    print("|---|---:|---:|---:|")
    bins = [(f"{start}-{end}", slice(start, end)) for start, end in zip(edges, edges[1:])]
    for positions, tokens in bins + [("all", slice(None))]:  # all: every token each scoring scores
        stream_losses, row_losses = streamed["losses"][tokens], in_rows["losses"][tokens]
        print(f"| {positions} | {perplexity(stream_losses):.2f} | {perplexity(row_losses):.2f} "
              f"| {(stream_losses.double().mean() - row_losses.double().mean()).item():+.4f} |")

    names = [name for name in streamed["records"][0] if name != "end"]
    print(f"\n| tokens carried | {' | '.join(f'{name} mean / max block' for name in names)} |")
    print("|---|" + "---:|" * len(names))
    for start, end in zip(edges, edges[1:]):
        records = [record for record in streamed["records"] if start < record["end"] <= end]
        if not records:
            continue
        cells = []
        for name in names:
            per_block = torch.tensor([record[name] for record in records]).mean(dim=0)
            cells.append(f"{per_block.mean().item():.3g} / {per_block.max().item():.3g}")
        print(f"| {start}-{end} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
