"""--task language_modeling_carried_state: stream batching, carried states, bad input.

The end-to-end runs (fairseq-train, data parallel, fairseq-eval-lm) are in
test_task_carried_state_cli.py.
"""

import math

import pytest
import torch
from fairseq import options, tasks, utils
from fairseq.data import indexed_dataset
from fairseq.dataclass.utils import convert_namespace_to_omegaconf
from fairseq_cli.eval_lm import eval_lm

from fwp_plugin.modules import FAST_WEIGHT_SUBLAYERS
from fwp_plugin.tasks.carried_state import CarriedState
from fwp_plugin.tasks.stream_segments import StreamSegments

from plugin_helpers import PLUGIN_DIR

TASK = "language_modeling_carried_state"
TINY_MODEL = ("--arch", "fwp_lm", "--decoder-layers", "2", "--decoder-embed-dim", "32",
              "--decoder-attention-heads", "4", "--decoder-ffn-embed-dim", "64", "--dropout", "0")
NO_POSITIONS = ("--no-token-positional-embeddings",)
# Flags a fast-weight type cannot do without (its layer names them when they are missing).
REQUIRED_FLAGS = {"rdn": ("--feature-map", "softmax")}


def setup_task(data_dir, *flags):
    """(config, task) as fairseq-train builds them from ``data_dir --task TASK flags``."""
    args = options.parse_args_and_arch(
        options.get_training_parser(),
        [str(data_dir), "--user-dir", PLUGIN_DIR, "--task", TASK, *flags],
    )
    cfg = convert_namespace_to_omegaconf(args)
    return cfg, tasks.setup_task(cfg.task)


def write_split(prefix, lines):
    """Binarize ``lines`` (token-id tensors) the way fairseq-preprocess does."""
    builder = indexed_dataset.make_builder(f"{prefix}.bin", impl="mmap", vocab_size=1000)
    for line in lines:
        builder.add_item(line)
    builder.finalize(f"{prefix}.idx")


@pytest.fixture
def data_dir(tmp_path, small_dictionary):
    """dict.txt and train/valid splits of random lines ending in </s> (about 80 tokens each)."""
    small_dictionary.save(str(tmp_path / "dict.txt"))
    eos = small_dictionary.eos()
    for split in ("train", "valid"):
        lines = [torch.cat([torch.randint(4, len(small_dictionary), (length,)), torch.tensor([eos])])
                 for length in torch.randint(3, 12, (10,)).tolist()]
        write_split(tmp_path / split, lines)
    return tmp_path


def load(data_dir, split, *flags, fast_weight_type="delta_net"):
    """(task, model, criterion, stream) for a tiny fwp_lm over ``split``."""
    cfg, task = setup_task(data_dir, *TINY_MODEL, *NO_POSITIONS, "--fast-weight-type", fast_weight_type,
                           *REQUIRED_FLAGS.get(fast_weight_type, ()), *flags)
    task.load_dataset(split)
    return task, task.build_model(cfg.model), task.build_criterion(cfg.criterion), task.dataset(split)


def segments(task, stream, rows, epoch=1):
    return task.get_batch_iterator(stream, max_sentences=rows, epoch=epoch).next_epoch_itr(shuffle=False)


def sequence_nll(model, inputs, targets):
    """Summed negative log-likelihood (nats) of ``targets`` [B, T] after one forward of ``inputs``."""
    model.eval()
    with torch.no_grad():
        log_probs = model.get_normalized_probs(model(inputs), log_probs=True)
    return -log_probs.gather(-1, targets.unsqueeze(-1)).sum()


def state_tensors(state):
    """Every tensor kept in a (nested) carried state."""
    if torch.is_tensor(state):
        return [state]
    values = state.values() if hasattr(state, "values") else state
    return [tensor for value in values for tensor in state_tensors(value)]


class BackwardOnly:
    """Stands in for fairseq's optimizer in train_step: gradients, no update."""

    def backward(self, loss):
        loss.backward()


# --- batching -------------------------------------------------------------

def test_rows_are_contiguous_slices_walked_in_order():
    stream = torch.arange(105)  # token = its position; L = 104 // 3 = 34, 2 tokens left over
    batches = [StreamSegments(stream, rows_per_shard=3, segment_length=8)[i] for i in range(5)]
    assert [b["net_input"]["src_tokens"].shape for b in batches] == [(3, 8)] * 4 + [(3, 2)]
    assert [b["segment"] for b in batches] == [0, 1, 2, 3, 4]
    inputs = torch.cat([b["net_input"]["src_tokens"] for b in batches], dim=1)
    targets = torch.cat([b["target"] for b in batches], dim=1)
    assert torch.equal(inputs, torch.arange(102).view(3, 34))
    assert torch.equal(targets, inputs + 1)
    # The last target of a segment is the first input of the next (of the next row at a row's end).
    assert batches[0]["target"][0, -1] == batches[1]["net_input"]["src_tokens"][0, 0]
    assert targets[0, -1] == inputs[1, 0]
    # Every token but the stream's first is scored exactly once; the ragged tail (103, 104) is dropped.
    assert sorted(targets.flatten().tolist()) == list(range(1, 103))
    assert [b["ntokens"] for b in batches] == [24] * 4 + [6]


def test_data_parallel_workers_get_their_own_rows():
    stream = torch.arange(200)
    whole = StreamSegments(stream, rows_per_shard=4, segment_length=10)
    shards = [StreamSegments(stream, rows_per_shard=2, segment_length=10, num_shards=2, shard_id=s)
              for s in (0, 1)]
    assert len(shards[0]) == len(shards[1]) == len(whole)  # workers stay in step
    for segment in range(len(whole)):
        for key in ("target", "id"):
            joined = torch.cat([shard[segment][key] for shard in shards])
            assert torch.equal(joined, whole[segment][key])


def test_stream_too_short_for_the_rows():
    with pytest.raises(ValueError, match="a split of 5 tokens cannot fill 8 rows .* lower --batch-size"):
        StreamSegments(torch.arange(5), rows_per_shard=4, segment_length=3, num_shards=2)


# --- carried states ---------------------------------------------------------

@pytest.mark.parametrize("fast_weight_type", list(FAST_WEIGHT_SUBLAYERS))
def test_validation_with_carried_state_equals_one_long_sequence(fast_weight_type, data_dir):
    task, model, criterion, stream = load(data_dir, "valid", "--tokens-per-sample", "7",
                                          fast_weight_type=fast_weight_type)
    carried = sum(task.valid_step(sample, model, criterion)[0] for sample in segments(task, stream, rows=2))
    length = (len(stream) - 1) // 2
    one_forward = sequence_nll(model, stream[: 2 * length].view(2, length),
                               stream[1 : 2 * length + 1].view(2, length))
    torch.testing.assert_close(carried, one_forward, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("fast_weight_type", list(FAST_WEIGHT_SUBLAYERS))
def test_eval_lm_with_carried_state_equals_one_long_sequence(fast_weight_type, data_dir):
    task, model, _, stream = load(data_dir, "valid", "--tokens-per-sample", "6",
                                  fast_weight_type=fast_weight_type)
    batches = task.eval_lm_dataloader(stream, batch_size=1, num_workers=0)
    assert len(batches) == math.ceil((len(stream) - 1) / 6)
    result = eval_lm([model], task.source_dictionary, batches)
    per_token = sequence_nll(model, stream[None, :-1], stream[None, 1:]) / (len(stream) - 1)
    assert result["loss"] == pytest.approx(per_token.item() / math.log(2), rel=1e-5)


def test_eval_lm_in_rows_equals_each_row_evaluated_alone(data_dir):
    """--batch-size R: R rows, each carrying its own state, score what R separate streams score."""
    task, model, _, stream = load(data_dir, "valid", "--tokens-per-sample", "5")
    rows = 3
    length = (len(stream) - 1) // rows
    in_rows = eval_lm([model], task.source_dictionary, task.eval_lm_dataloader(stream, batch_size=rows, num_workers=0))
    alone = [eval_lm([model], task.source_dictionary,
                     task.eval_lm_dataloader(stream[r * length:(r + 1) * length + 1], batch_size=1, num_workers=0))
             for r in range(rows)]
    assert float(in_rows["loss"]) == pytest.approx(sum(float(result["loss"]) for result in alone) / rows, rel=1e-5)


def test_states_are_detached_and_reset_every_epoch_and_validation_pass(data_dir):
    task, model, criterion, stream = load(data_dir, "train", "--tokens-per-sample", "7")
    task.load_dataset("valid")

    def validation_loss():
        return sum(task.valid_step(s, model, criterion)[0].item() for s in segments(task, task.dataset("valid"), 2))

    epoch_losses, validation_losses = [], []
    for epoch in (1, 2):
        losses = []
        for i, sample in enumerate(segments(task, stream, rows=2, epoch=epoch)):
            losses.append(task.train_step(sample, model, criterion, BackwardOnly(), update_num=0)[0].item())
            assert not any(t.requires_grad for t in state_tensors(task.train_state))
            if i == 1:  # a validation pass in the middle of an epoch leaves the training states alone
                validation_losses.append(validation_loss())
        epoch_losses.append(losses)
    # No optimizer step and no dropout: each epoch and each validation starts from empty states.
    assert epoch_losses[0] == pytest.approx(epoch_losses[1], rel=1e-6)
    assert validation_losses[0] == pytest.approx(validation_losses[1], rel=1e-6)
    # Training sees the carried states validation sees (which equal one long forward, above).
    valid_losses = [task.valid_step(s, model, criterion)[0].item() for s in segments(task, stream, 2)]
    assert epoch_losses[0] == pytest.approx(valid_losses, rel=1e-5)


def test_carried_state_survives_fairseqs_device_move():
    """fairseq copies every dict of a sample when moving it: a plain dict would lose the states."""
    cpu = torch.device("cpu")
    state = CarriedState()
    sample = state.attach({"segment": 0, "net_input": {"src_tokens": torch.zeros(1, 2)}})
    assert utils.move_to_cuda(sample, device=cpu)["net_input"]["carried_state"] is state
    plain = {"net_input": {"carried_state": {}}}
    assert utils.move_to_cuda(plain, device=cpu)["net_input"]["carried_state"] is not plain["net_input"]["carried_state"]


# --- bad input --------------------------------------------------------------

def test_missing_data_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"{tmp_path}/nowhere/dict.txt not found: --task {TASK} "
                       "reads a directory written by fairseq-preprocess --only-source"):
        setup_task(tmp_path / "nowhere", *TINY_MODEL)


def test_missing_split(data_dir):
    _, task = setup_task(data_dir, *TINY_MODEL)
    with pytest.raises(FileNotFoundError, match=f"split 'test' not found: expected {data_dir}/test.bin"):
        task.load_dataset("test")


def test_positional_embeddings_are_refused(data_dir):
    cfg, task = setup_task(data_dir, *TINY_MODEL)
    with pytest.raises(ValueError, match="needs --no-token-positional-embeddings"):
        task.build_model(cfg.model)


def test_models_without_fast_weights_are_refused(data_dir):
    cfg, task = setup_task(data_dir, "--arch", "transformer_lm_fwp_tiny", *NO_POSITIONS)
    with pytest.raises(ValueError, match="needs a model that carries fast-weight states .* got TransformerLanguageModel"):
        task.build_model(cfg.model)


def test_batch_size_is_required(data_dir):
    task, _, _, stream = load(data_dir, "train")
    with pytest.raises(ValueError, match="needs --batch-size"):
        segments(task, stream, rows=None)


@pytest.mark.parametrize("options_, message", [
    (dict(batch_size=1, context_window=4), "--context-window is the sliding-window evaluation of --task language_modeling"),
    (dict(batch_size=1, num_shards=2), "evaluates in one process \\(got 2 shards\\)"),
])
def test_eval_lm_options_that_break_the_stream(options_, message, data_dir):
    task, _, _, stream = load(data_dir, "valid")
    with pytest.raises(ValueError, match=message):
        task.eval_lm_dataloader(stream, **options_)
