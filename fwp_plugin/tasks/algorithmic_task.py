"""What the algorithmic tasks (code execution, sequential ListOps) share.

A data directory written by the task's generator holds ``dict.src.txt`` and,
per split, ``SPLIT.src`` (one token sequence per line) and the split's
targets. A model tags every sequence causally (``fwp_tagger`` or
``lstm_tagger``: logits ``[B, T, num_classes]``) and the task's criterion
scores it.
"""

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import torch
from fairseq.data import Dictionary
from fairseq.dataclass import FairseqDataclass
from fairseq.models import ARCH_MODEL_REGISTRY, MODEL_REGISTRY
from fairseq.tasks import FairseqTask
from omegaconf import II

from ..models.sequence_tagger import SequenceTagger
from ..sizes import BATCH_SIZES, check_positive
from .labelled_sequences import LabelledSequenceDataset
from .split_files import check_data_dir, encode_lines, load_dictionary, read_lines


@dataclass
class AlgorithmicTaskConfig(FairseqDataclass):
    data: Optional[str] = field(
        default=None,
        metadata={"help": "data directory written by the task's generator: "
                  "python -m fwp_plugin.data.code_execution --out DIR (--task code_execution) or "
                  "python -m fwp_plugin.data.listops --out DIR (--task listops)"},
    )
    # Not options (no flags, see _get_all_attributes): a language model's config copies these
    # from its task (II("task.tokens_per_sample"), ...). With them declared, --task listops
    # --arch fwp_delta_net_tiny reaches build_model's "needs a sequence tagger" error instead
    # of OmegaConf's "Interpolation key 'task.tokens_per_sample' not found".
    tokens_per_sample: int = 0
    max_target_positions: Optional[int] = None
    add_bos_token: bool = False
    # The dataset's batch sizes, as fairseq's language_modeling task holds them (checked at construction).
    batch_size: Optional[int] = II("dataset.batch_size")
    batch_size_valid: Optional[int] = II("dataset.batch_size_valid")

    def _get_all_attributes(self):
        """The fields that are command-line flags."""
        return ["data"]


class AlgorithmicTask(FairseqTask, ABC):
    """Subclasses set ``name``, ``criterion`` (the one criterion that scores the
    task) and ``generator`` (the command that writes the data, ``{out}`` for the
    directory), and implement ``load_targets`` and ``num_classes``."""

    name: str
    criterion: str
    generator: str

    def __init__(self, cfg: AlgorithmicTaskConfig):
        super().__init__(cfg)
        check_positive(cfg, BATCH_SIZES)
        check_data_dir(cfg.data, self.generator_command)
        self.source_dict = self.load_dictionary_file("dict.src.txt")

    @classmethod
    def setup_task(cls, cfg: AlgorithmicTaskConfig, **kwargs):
        return cls(cfg)

    @property
    def generator_command(self) -> str:
        return self.generator.format(out=self.cfg.data or "DIR")

    def get_batch_iterator(self, dataset, **kwargs):
        """fairseq's iterator with batches of any size: with --required-batch-size-multiple N (8 by
        default) fairseq drops the examples beyond the last multiple of N, so a split of 13 examples
        would be scored on 8 and one of 5 on none. Every example is scored, always."""
        return super().get_batch_iterator(dataset, **{**kwargs, "required_batch_size_multiple": 1})

    def valid_step(self, sample, model, criterion):
        """fairseq's valid_step; an empty batch (a worker's empty share of a split in data-parallel
        fairseq-validate, which has no dummy batch as training has) scores nothing and logs nothing."""
        if not sample:
            return torch.zeros(()), 0, {}
        return super().valid_step(sample, model, criterion)

    def data_path(self, name: str) -> str:
        return os.path.join(self.cfg.data, name)

    def load_dictionary_file(self, name: str) -> Dictionary:
        return load_dictionary(self.data_path(name), self.generator_command)

    def read_split_file(self, name: str) -> List[str]:
        return read_lines(self.data_path(name), self.generator_command)

    def load_dataset(self, split: str, epoch: int = 1, combine: bool = False, **kwargs):
        """``SPLIT.src`` and the split's targets; the training split is reshuffled every epoch."""
        source_name = f"{split}.src"
        sources = encode_lines(self.read_split_file(source_name), self.data_path(source_name),
                               self.source_dict, self.data_path("dict.src.txt"))
        targets, target_pad = self.load_targets(split, sources)
        self.datasets[split] = LabelledSequenceDataset(
            sources, targets, self.source_dict.pad(), target_pad, shuffle=split == "train"
        )

    @abstractmethod
    def load_targets(self, split: str, sources: List[torch.Tensor]) -> Tuple[List[torch.Tensor], Optional[int]]:
        """The targets of ``split``, one per source, and their padding index (None
        for one label per sequence); see ``LabelledSequenceDataset``."""

    @property
    @abstractmethod
    def num_classes(self) -> int:
        """C: the size of the models' output layer."""

    def build_model(self, cfg, from_checkpoint=False):
        """The model, if it is a sequence tagger (checked before building it)."""
        name = getattr(cfg, "_name", None)
        model_class = ARCH_MODEL_REGISTRY.get(name) or MODEL_REGISTRY.get(name, object)
        if not issubclass(model_class, SequenceTagger):
            raise ValueError(
                f"--task {self.name} needs a sequence tagger: an *_algorithmic architecture "
                f"(models fwp_tagger, lstm_tagger), got {name}"
            )
        return super().build_model(cfg, from_checkpoint)

    def build_criterion(self, cfg, from_checkpoint=False):
        criterion = getattr(cfg, "_name", None)
        if criterion != self.criterion:
            raise ValueError(f"--task {self.name} is scored by --criterion {self.criterion}, got {criterion}")
        return super().build_criterion(cfg, from_checkpoint)

    @property
    def source_dictionary(self) -> Dictionary:
        return self.source_dict
