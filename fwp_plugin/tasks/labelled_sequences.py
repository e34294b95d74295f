"""A dataset of token sequences with their targets, batched with right padding."""

from typing import Dict, List, Optional

import numpy as np
import torch
from fairseq.data import FairseqDataset, data_utils


class LabelledSequenceDataset(FairseqDataset):
    """``sources[i]``: tokens ``[T_i]``; ``targets[i]``: either tags aligned with
    the tokens, ``[T_i]`` (``target_pad`` given), or one label per sequence,
    a 0-d tensor (``target_pad`` None).

    A batch of B samples, T the longest length::

        {"id": [B], "nsentences": B, "ntokens": real tokens,
         "net_input": {"src_tokens": [B, T] (right-padded with source_pad),
                       "src_lengths": [B]},
         "target": [B, T] (right-padded with target_pad) or [B]}

    With ``shuffle`` the order is a new permutation every epoch (fairseq draws
    it under the seed + epoch), so the batches differ from epoch to epoch;
    without, the samples keep their file order.
    """

    def __init__(self, sources: List[torch.Tensor], targets: List[torch.Tensor], source_pad: int,
                 target_pad: Optional[int], shuffle: bool):
        self.sources = sources
        self.targets = targets
        self.source_pad = source_pad
        self.target_pad = target_pad
        self.shuffle = shuffle
        self.sizes = np.array([len(source) for source in sources], dtype=np.int64)

    def __getitem__(self, index: int) -> Dict:
        return {"id": index, "source": self.sources[index], "target": self.targets[index]}

    def __len__(self) -> int:
        return len(self.sources)

    def collater(self, samples: List[Dict]) -> Dict:
        if not samples:  # a shard's filler batch in data-parallel training; fairseq skips it
            return {}
        sources = [sample["source"] for sample in samples]
        targets = [sample["target"] for sample in samples]
        lengths = torch.tensor([len(source) for source in sources], dtype=torch.long)
        return {
            "id": torch.tensor([sample["id"] for sample in samples], dtype=torch.long),
            "nsentences": len(samples),
            "ntokens": int(lengths.sum()),
            "net_input": {
                "src_tokens": data_utils.collate_tokens(sources, self.source_pad),
                "src_lengths": lengths,
            },
            "target": (
                torch.stack(targets) if self.target_pad is None
                else data_utils.collate_tokens(targets, self.target_pad)
            ),
        }

    def num_tokens(self, index: int) -> int:
        return int(self.sizes[index])

    def num_tokens_vec(self, indices: np.ndarray) -> np.ndarray:
        return self.sizes[indices]

    def size(self, index: int) -> int:
        return int(self.sizes[index])

    def ordered_indices(self) -> np.ndarray:
        return np.random.permutation(len(self)) if self.shuffle else np.arange(len(self))

    @property
    def can_reuse_epoch_itr_across_epochs(self) -> bool:
        return not self.shuffle
