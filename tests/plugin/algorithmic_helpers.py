"""Hand-made data sets of the algorithmic tasks, written in the generators' file format,
and taggers built the way fairseq-train builds them."""

import random
from types import SimpleNamespace

from fairseq import checkpoint_utils, models
from fairseq.criterions import CRITERION_REGISTRY
from fairseq.logging import metrics
from plugin_helpers import parse_model_cfg

SPLITS = ("train", "valid", "test")
DIGITS = [str(n) for n in range(10)]
CODE_SOURCE_VOCABULARY = ["x", "y", "z", "a", "b", "=", ";", "++", "--", "print", "if", "<", ">", ":"] + DIGITS
CODE_TARGET_VOCABULARY = ["_"] + [str(value) for value in range(-8, 17)]
LISTOPS_OPERATORS = {"[MIN": min, "[MAX": max, "[FIRST": lambda values: values[0]}
LISTOPS_VOCABULARY = [*LISTOPS_OPERATORS, "]"] + DIGITS


def write_lines(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def write_dictionary(path, vocabulary):
    write_lines(path, [f"{token} 1" for token in vocabulary])


def code_execution_sample(rng):
    """(source, target) lines of a random program over x and y: 1..4 assignments and
    prints, then a print, e.g. ``x = 3 ; print x ;`` -> ``_ _ _ _ _ _ 3``."""
    values, source, target = {}, [], []

    def add(statement, printed="_"):
        source.extend(statement)
        target.extend(["_"] * (len(statement) - 1) + [printed])

    for _ in range(rng.randint(1, 4)):
        variable = rng.choice("xy")
        if variable in values and rng.random() < 0.5:
            add(["print", variable, ";"], str(values[variable]))
        else:
            values[variable] = rng.randrange(10)
            add([variable, "=", str(values[variable]), ";"])
    shown = rng.choice(sorted(values))
    add(["print", shown, ";"], str(values[shown]))
    return " ".join(source), " ".join(target)


def listops_sample(rng, depth=3):
    """(tokens, value) of a random expression nested at most ``depth`` levels, e.g.
    ``[MAX 3 [MIN 1 9 ] 0 ]`` -> 3."""
    operator = rng.choice(list(LISTOPS_OPERATORS))
    tokens, values = [operator], []
    for _ in range(rng.randint(2, 4)):
        if depth > 1 and rng.random() < 0.3:
            argument, value = listops_sample(rng, depth - 1)
        else:
            value = rng.randrange(10)
            argument = [str(value)]
        tokens += argument
        values.append(value)
    return tokens + ["]"], LISTOPS_OPERATORS[operator](values)


def write_code_execution_data(directory, lines=40, seed=0):
    """``{train,valid,test}.{src,tgt}``, ``dict.src.txt``, ``dict.tgt.txt`` in ``directory``."""
    rng = random.Random(seed)
    for split in SPLITS:
        samples = [code_execution_sample(rng) for _ in range(lines)]
        write_lines(directory / f"{split}.src", [source for source, _ in samples])
        write_lines(directory / f"{split}.tgt", [target for _, target in samples])
    write_dictionary(directory / "dict.src.txt", CODE_SOURCE_VOCABULARY)
    write_dictionary(directory / "dict.tgt.txt", CODE_TARGET_VOCABULARY)
    return directory


def write_listops_data(directory, lines=40, seed=0):
    """``{train,valid,test}.{src,label}`` and ``dict.src.txt`` in ``directory``."""
    rng = random.Random(seed)
    for split in SPLITS:
        samples = [listops_sample(rng) for _ in range(lines)]
        write_lines(directory / f"{split}.src", [" ".join(tokens) for tokens, _ in samples])
        write_lines(directory / f"{split}.label", [str(value) for _, value in samples])
    write_dictionary(directory / "dict.src.txt", LISTOPS_VOCABULARY)
    return directory


def build_tagger(arch, dictionary, num_classes, *flags):
    """The model fairseq-train builds for ``--arch arch flags`` with a task of this
    source dictionary and number of classes."""
    task = SimpleNamespace(source_dictionary=dictionary, num_classes=num_classes)
    return models.build_model(parse_model_cfg(arch, *flags), task)


def reduced_metrics(criterion, logging_outputs):
    """The values fairseq would print for these logging outputs of ``criterion``."""
    with metrics.aggregate(new_root=True) as aggregated:
        criterion.reduce_metrics(logging_outputs)
        return aggregated.get_smoothed_values()


def split_metrics(checkpoint, data, split, criterion_name):
    """The metrics of ``criterion_name`` for the checkpoint's model on the whole of ``split``, in one batch
    and one process: what fairseq prints for that split however it batches and shards it."""
    ensemble, _, task = checkpoint_utils.load_model_ensemble_and_task([str(checkpoint)], arg_overrides={"data": str(data)})
    task.load_dataset(split)
    dataset = task.dataset(split)
    criterion = CRITERION_REGISTRY[criterion_name](task)
    _, _, logging_output = criterion(ensemble[0].eval(), dataset.collater([dataset[i] for i in range(len(dataset))]))
    return reduced_metrics(criterion, [logging_output])
