"""``--task listops``: sequential ListOps, 10-way classification of a whole sequence.

Data (``python -m fwp_plugin.data.listops --depth 10 --out DIR``):
``SPLIT.src`` holds one expression per line (``[MIN 3 [MAX 1 9 ] 0 ]``),
``SPLIT.label`` its value (an integer 0..9), and ``dict.src.txt`` the
vocabulary. Batches are right-padded; a causal model's logits are read at
the last real token of each sequence (``--criterion listops_accuracy``).
"""

from typing import List, Optional, Tuple

import torch
from fairseq.tasks import register_task

from .algorithmic_task import AlgorithmicTask, AlgorithmicTaskConfig
from .split_files import check_same_line_count

NUM_CLASSES = 10  # the values 0..9
LABELS = tuple(str(value) for value in range(NUM_CLASSES))


def parse_labels(lines: List[str], path: str) -> List[torch.Tensor]:
    """One 0-d label tensor per line; a ValueError names a line that is not an integer in 0..9."""
    labels = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if text not in LABELS:
            raise ValueError(f"{path} line {number}: label {text!r} is not an integer in 0..{NUM_CLASSES - 1}")
        labels.append(torch.tensor(int(text), dtype=torch.long))
    return labels


@register_task("listops", dataclass=AlgorithmicTaskConfig)
class ListOpsTask(AlgorithmicTask):
    name = "listops"
    criterion = "listops_accuracy"
    generator = "python -m fwp_plugin.data.listops --depth 10 --out {out}"

    def load_targets(self, split: str, sources: List[torch.Tensor]) -> Tuple[List[torch.Tensor], Optional[int]]:
        """``SPLIT.label``: one label per sequence."""
        lines = self.read_split_file(f"{split}.label")
        label_path = self.data_path(f"{split}.label")
        check_same_line_count(self.data_path(f"{split}.src"), sources, label_path, lines)
        return parse_labels(lines, label_path), None

    @property
    def num_classes(self) -> int:
        return NUM_CLASSES
