"""``--task code_execution``: predict, at every token of a program, what it prints there.

Data (``python -m fwp_plugin.data.code_execution --num-vars 5 --out DIR``):
``SPLIT.src`` holds one program per line and ``SPLIT.tgt`` its targets,
aligned token for token (``_`` everywhere except at the ``;`` of an executed
print, which holds the printed value); ``dict.src.txt`` and ``dict.tgt.txt``
are the vocabularies. No BOS/EOS is added: position t of the input is
labelled by target t. Batches are right-padded, the targets with the target
dictionary's pad, which the criterion ignores. Scored by
``--criterion code_execution_accuracy``.
"""

from typing import List, Optional, Tuple

import torch
from fairseq.data import Dictionary
from fairseq.tasks import register_task

from ..data.code_execution import NO_OUTPUT
from .algorithmic_task import AlgorithmicTask, AlgorithmicTaskConfig
from .split_files import check_same_line_count, encode_lines


@register_task("code_execution", dataclass=AlgorithmicTaskConfig)
class CodeExecutionTask(AlgorithmicTask):
    name = "code_execution"
    criterion = "code_execution_accuracy"
    generator = "python -m fwp_plugin.data.code_execution --num-vars 5 --out {out}"

    def __init__(self, cfg: AlgorithmicTaskConfig):
        super().__init__(cfg)
        self.target_dict = self.load_dictionary_file("dict.tgt.txt")
        if NO_OUTPUT not in self.target_dict.indices:
            raise ValueError(f"{self.data_path('dict.tgt.txt')} lacks {NO_OUTPUT!r}, the no-output target")

    def load_targets(self, split: str, sources: List[torch.Tensor]) -> Tuple[List[torch.Tensor], Optional[int]]:
        """``SPLIT.tgt``: one target per source token."""
        source_path, target_path = self.data_path(f"{split}.src"), self.data_path(f"{split}.tgt")
        lines = self.read_split_file(f"{split}.tgt")
        check_same_line_count(source_path, sources, target_path, lines)
        targets = encode_lines(lines, target_path, self.target_dict, self.data_path("dict.tgt.txt"))
        for number, (source, target) in enumerate(zip(sources, targets), start=1):
            if len(source) != len(target):
                raise ValueError(
                    f"{target_path} line {number} has {len(target)} tokens but {source_path} line "
                    f"{number} has {len(source)}: targets are aligned token for token"
                )
        return targets, self.target_dict.pad()

    @property
    def no_output_index(self) -> int:
        """The target index of ``_`` (no print at this position)."""
        return self.target_dict.index(NO_OUTPUT)

    @property
    def num_classes(self) -> int:
        return len(self.target_dict)

    @property
    def target_dictionary(self) -> Dictionary:
        return self.target_dict
