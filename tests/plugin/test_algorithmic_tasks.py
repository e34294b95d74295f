"""The code_execution and listops tasks and their criterions: batches, metrics, bad input."""

import math
import re

import pytest
import torch
import torch.nn.functional as F
from omegaconf import OmegaConf

from fwp_plugin.criterions.code_execution_accuracy import CodeExecutionAccuracyCriterion
from fwp_plugin.criterions.listops_accuracy import ListOpsAccuracyCriterion
from fwp_plugin.tasks.algorithmic_task import AlgorithmicTaskConfig
from fwp_plugin.tasks.code_execution import CodeExecutionTask
from fwp_plugin.tasks.listops import ListOpsTask

from algorithmic_helpers import reduced_metrics, write_code_execution_data, write_listops_data
from plugin_helpers import build_model, parse_model_cfg

CODE_GENERATOR = "python -m fwp_plugin.data.code_execution --num-vars 5 --out"
LISTOPS_GENERATOR = "python -m fwp_plugin.data.listops --depth 10 --out"


def load_task(task_class, directory):
    return task_class.setup_task(AlgorithmicTaskConfig(data=str(directory)))


def batch_of(task, split, indices):
    task.load_dataset(split)
    dataset = task.dataset(split)
    return dataset.collater([dataset[i] for i in indices])


@pytest.fixture
def code_dir(tmp_path):
    return write_code_execution_data(tmp_path)


@pytest.fixture
def listops_dir(tmp_path):
    return write_listops_data(tmp_path)


# --- batches -------------------------------------------------------------------

def test_code_execution_batch_aligns_every_token_with_its_target(code_dir):
    task = load_task(CodeExecutionTask, code_dir)
    sources = (code_dir / "valid.src").read_text().splitlines()
    targets = (code_dir / "valid.tgt").read_text().splitlines()
    indices = [3, 0, 7, 1]
    batch = batch_of(task, "valid", indices)
    lengths = batch["net_input"]["src_lengths"].tolist()
    assert lengths == [len(sources[i].split()) for i in indices]
    assert batch["net_input"]["src_tokens"].shape == batch["target"].shape == (4, max(lengths))
    assert batch["ntokens"] == sum(lengths) and batch["nsentences"] == 4
    source_dict, target_dict = task.source_dictionary, task.target_dictionary
    for row, i in enumerate(indices):
        tokens, tags = batch["net_input"]["src_tokens"][row], batch["target"][row]
        length = lengths[row]
        assert [source_dict[t] for t in tokens[:length]] == sources[i].split()  # no BOS/EOS
        assert [target_dict[t] for t in tags[:length]] == targets[i].split()
        assert (tokens[length:] == source_dict.pad()).all() and (tags[length:] == target_dict.pad()).all()
    assert len(set(lengths)) > 1, "the batch should need padding"


def test_listops_batch_has_one_label_per_sequence(listops_dir):
    task = load_task(ListOpsTask, listops_dir)
    sources = (listops_dir / "test.src").read_text().splitlines()
    labels = (listops_dir / "test.label").read_text().splitlines()
    indices = [5, 2, 9]
    batch = batch_of(task, "test", indices)
    assert batch["target"].tolist() == [int(labels[i]) for i in indices]
    lengths = batch["net_input"]["src_lengths"].tolist()
    for row, i in enumerate(indices):
        tokens = batch["net_input"]["src_tokens"][row]
        assert [task.source_dictionary[t] for t in tokens[: lengths[row]]] == sources[i].split()
        assert (tokens[lengths[row]:] == task.source_dictionary.pad()).all()
    assert task.num_classes == 10


def test_training_batches_are_reshuffled_every_epoch_and_evaluation_keeps_the_file_order(code_dir):
    task = load_task(CodeExecutionTask, code_dir)
    task.load_dataset("train")
    task.load_dataset("valid")

    def batches(split, epoch):
        iterator = task.get_batch_iterator(task.dataset(split), max_sentences=8, epoch=epoch)
        return [batch["id"].tolist() for batch in iterator.next_epoch_itr(shuffle=False)]

    first, second = batches("train", 1), batches("train", 2)
    assert sorted(sum(first, [])) == sorted(sum(second, [])) == list(range(40))
    assert first != second and first == batches("train", 1)
    assert sum(batches("valid", 1), []) == list(range(40))


# --- metrics -------------------------------------------------------------------

class FixedOutput(torch.nn.Module):
    """A stand-in model whose logits are given."""

    def __init__(self, logits):
        super().__init__()
        self.logits = logits

    def forward(self, src_tokens, src_lengths):
        assert src_tokens.shape == self.logits.shape[:2]
        return self.logits


def confident_logits(predictions, num_classes):
    """Logits [B, T, C] whose argmax is ``predictions`` [B, T]."""
    return 5.0 * F.one_hot(predictions, num_classes).float()


def test_code_execution_metrics_on_known_predictions(code_dir):
    task = load_task(CodeExecutionTask, code_dir)
    target_dict = task.target_dictionary
    pad = target_dict.pad()

    def tags(text):
        return [target_dict.index(tag) for tag in text.split()]

    target = torch.tensor([tags("_ _ 3 <pad>"), tags("_ 5 _ 7"), tags("_ _ <pad> <pad>")])
    predictions = target.clone()
    predictions[1, 3] = target_dict.index("6")  # a wrong print: program 1 is wrong
    predictions[2, 0] = target_dict.index("4")  # a wrong "_": program 2 is wrong
    predictions[0, 3] = predictions[2, 2] = predictions[2, 3] = target_dict.index("9")  # padding: ignored
    logits = confident_logits(predictions, task.num_classes)
    criterion = CodeExecutionAccuracyCriterion(task)

    def score(rows):
        sample = {"net_input": {"src_tokens": torch.zeros_like(target[rows]),
                                "src_lengths": target[rows].ne(pad).sum(1)},
                  "target": target[rows]}
        return criterion(FixedOutput(logits[rows]), sample)

    loss, sample_size, logging_output = score(slice(None))
    real = target.ne(pad)
    assert sample_size == 9
    torch.testing.assert_close(loss, F.cross_entropy(logits[real], target[real], reduction="sum"))
    expected = {"seq_acc": 33.33, "print_acc": 66.67, "token_acc": 77.78,
                "loss": round(loss.item() / 9 / math.log(2), 3)}
    assert {k: v for k, v in reduced_metrics(criterion, [logging_output]).items() if k in expected} == expected
    # Batches are summed, not averaged: two batches give the numbers of the whole.
    halves = [score(slice(0, 2))[2], score(slice(2, 3))[2]]
    assert {k: v for k, v in reduced_metrics(criterion, halves).items() if k in expected} == expected


def test_listops_criterion_reads_the_last_real_token(listops_dir):
    task = load_task(ListOpsTask, listops_dir)
    lengths = torch.tensor([2, 4, 3])
    target = torch.tensor([7, 1, 4])
    predictions = torch.full((3, 4), 0)  # wrong everywhere but where set below
    predictions[0, 1], predictions[1, 3], predictions[2, 2] = 7, 2, 4  # sequence 1 is wrong
    predictions[0, 3] = 7  # padding of sequence 0 would be right: not read
    logits = confident_logits(predictions, 10)
    sample = {"net_input": {"src_tokens": torch.zeros(3, 4, dtype=torch.long), "src_lengths": lengths},
              "target": target, "ntokens": 9}
    criterion = ListOpsAccuracyCriterion(task)
    loss, sample_size, logging_output = criterion(FixedOutput(logits), sample)
    last = logits[torch.arange(3), lengths - 1]
    torch.testing.assert_close(loss, F.cross_entropy(last, target, reduction="sum"))
    assert sample_size == 3
    assert reduced_metrics(criterion, [logging_output])["acc"] == 66.67


def test_data_parallel_sums_and_an_empty_share_are_scored(listops_dir):
    """Workers' sums arrive as tensors (fairseq's stat sync), and a worker may get no batch at all."""
    task = load_task(ListOpsTask, listops_dir)
    criterion = ListOpsAccuracyCriterion(task)
    loss, sample_size, empty_log = task.valid_step({}, None, criterion)
    assert float(loss) == 0 and sample_size == 0 and empty_log == {}
    worker_logs = [{"loss": torch.tensor(3.0), "sample_size": torch.tensor(4), "nsentences": torch.tensor(4),
                    "correct": torch.tensor(3)}, {"loss": 1.0, "sample_size": 2, "nsentences": 2, "correct": 1},
                   empty_log]
    values = reduced_metrics(criterion, worker_logs)
    assert values["acc"] == 66.67 and values["loss"] == pytest.approx(4.0 / 6 / math.log(2), abs=1e-3)
    assert "loss" not in reduced_metrics(criterion, [empty_log])


# --- bad input -----------------------------------------------------------------

def edit_line(path, number, edit):
    """Replace line ``number`` (from 1) of ``path`` by ``edit(line)``."""
    lines = path.read_text().splitlines()
    lines[number - 1] = edit(lines[number - 1])
    path.write_text("".join(line + "\n" for line in lines))


def write_data(task_class, directory):
    return (write_code_execution_data if task_class is CodeExecutionTask else write_listops_data)(directory)


def test_missing_data_directory_names_the_generator(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match=f"data directory {missing} not found: generate it with "
                       f"`{CODE_GENERATOR} {missing}`"):
        load_task(CodeExecutionTask, missing)


@pytest.mark.parametrize("task_class, name, generator", [
    (CodeExecutionTask, "dict.src.txt", CODE_GENERATOR),
    (CodeExecutionTask, "dict.tgt.txt", CODE_GENERATOR),
    (ListOpsTask, "dict.src.txt", LISTOPS_GENERATOR),
])
def test_missing_dictionary_names_the_file_and_the_generator(task_class, name, generator, tmp_path):
    write_data(task_class, tmp_path)
    (tmp_path / name).unlink()
    with pytest.raises(FileNotFoundError, match=f"{tmp_path / name} not found: .*`{generator} {tmp_path}`"):
        load_task(task_class, tmp_path)


def test_missing_split_file(code_dir):
    (code_dir / "test.tgt").unlink()
    task = load_task(CodeExecutionTask, code_dir)
    with pytest.raises(FileNotFoundError, match=f"{code_dir / 'test.tgt'} not found"):
        task.load_dataset("test")


def test_target_dictionary_without_the_no_output_tag(code_dir):
    edit_line(code_dir / "dict.tgt.txt", 1, lambda line: "-9 1")  # the line of "_"
    with pytest.raises(ValueError, match="dict.tgt.txt lacks '_', the no-output target"):
        load_task(CodeExecutionTask, code_dir)


@pytest.mark.parametrize("task_class, split_file", [(CodeExecutionTask, "valid.tgt"), (ListOpsTask, "valid.label")])
def test_files_of_a_split_with_different_line_counts(task_class, split_file, tmp_path):
    write_data(task_class, tmp_path)
    path = tmp_path / split_file
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:-1]))
    task = load_task(task_class, tmp_path)
    with pytest.raises(ValueError, match=f"{tmp_path / 'valid.src'} has 40 lines but {path} has 39"):
        task.load_dataset("valid")


def test_target_line_with_another_token_count(code_dir):
    edit_line(code_dir / "train.tgt", 3, lambda line: line + " _")
    task = load_task(CodeExecutionTask, code_dir)
    source_tokens = len((code_dir / "train.src").read_text().splitlines()[2].split())
    with pytest.raises(ValueError, match=f"{code_dir / 'train.tgt'} line 3 has {source_tokens + 1} tokens but "
                       f"{code_dir / 'train.src'} line 3 has {source_tokens}"):
        task.load_dataset("train")


@pytest.mark.parametrize("task_class, split_file, token", [
    (CodeExecutionTask, "train.src", "w"), (CodeExecutionTask, "train.tgt", "17"), (ListOpsTask, "train.src", "[SM"),
])
def test_token_not_in_the_dictionary(task_class, split_file, token, tmp_path):
    write_data(task_class, tmp_path)
    edit_line(tmp_path / split_file, 2, lambda line: line + " " + token)
    dictionary = tmp_path / ("dict.tgt.txt" if split_file.endswith("tgt") else "dict.src.txt")
    task = load_task(task_class, tmp_path)
    with pytest.raises(ValueError, match=re.escape(f"{tmp_path / split_file} line 2: token '{token}' is not in {dictionary}")):
        task.load_dataset("train")


def test_empty_line(listops_dir):
    edit_line(listops_dir / "valid.src", 1, lambda line: "")
    task = load_task(ListOpsTask, listops_dir)
    with pytest.raises(ValueError, match=f"{listops_dir / 'valid.src'} line 1 is empty"):
        task.load_dataset("valid")


@pytest.mark.parametrize("label", ["10", "-1", "x", "3.0", ""])
def test_listops_label_not_a_digit(label, listops_dir):
    edit_line(listops_dir / "test.label", 2, lambda line: label)
    task = load_task(ListOpsTask, listops_dir)
    with pytest.raises(ValueError, match=re.escape(f"{listops_dir / 'test.label'} line 2: label '{label}' is not "
                                                   "an integer in 0..9")):
        task.load_dataset("test")


def test_the_task_refuses_another_criterion(code_dir):
    task = load_task(CodeExecutionTask, code_dir)
    with pytest.raises(ValueError, match="--task code_execution is scored by --criterion "
                       "code_execution_accuracy, got cross_entropy"):
        task.build_criterion(OmegaConf.create({"_name": "cross_entropy"}))


def test_the_task_refuses_a_language_model(listops_dir):
    task = load_task(ListOpsTask, listops_dir)
    with pytest.raises(ValueError, match=r"--task listops needs a sequence tagger: an \*_algorithmic architecture"):
        task.build_model(parse_model_cfg("fwp_delta_net_tiny"))


def test_a_tagger_needs_an_algorithmic_task(small_dictionary):
    with pytest.raises(ValueError, match="use --task code_execution or --task listops"):
        build_model("fwp_delta_net_algorithmic_tiny", small_dictionary)
