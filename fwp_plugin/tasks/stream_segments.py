"""A token stream cut into rows and walked along in segments (truncated BPTT batches).

The stream ``[N]`` is a whole split with its lines concatenated. The inputs
are ``stream[:-1]`` and the targets ``stream[1:]`` (each token predicts the
next). Both are cut into ``R = rows_per_shard * num_shards`` contiguous rows
of ``L = (N - 1) // R`` tokens: row r holds inputs ``stream[r*L : (r+1)*L]``
and targets ``stream[r*L + 1 : (r+1)*L + 1]``. Shard s (one data-parallel
worker) owns rows ``s*rows_per_shard ... (s+1)*rows_per_shard - 1``.

Item i is segment i: columns ``[i*T, min((i+1)*T, L))`` of the shard's rows,
so a batch is ``[rows_per_shard, t]`` with ``t = T`` except for a shorter last
segment. Consequences:

- the target of the last token of a segment is the first token of the next
  segment (and of the next row at a row's end): every token of
  ``stream[1 : R*L + 1]`` is a target exactly once;
- the stream's first token is never a target (it has no context), and the
  last ``(N - 1) - R*L`` tokens (fewer than R) are dropped so that every row
  has the same length: all batches have the same number of rows, so carried
  states never change batch size;
- every shard has the same number of segments, so data-parallel workers stay
  in step.
"""

import math
from typing import Dict, List

import torch


class StreamSegments(torch.utils.data.Dataset):
    """Item i: the sample of segment i (inputs and targets ``[rows_per_shard, t]``)."""

    def __init__(
        self,
        stream: torch.Tensor,
        rows_per_shard: int,
        segment_length: int,
        num_shards: int = 1,
        shard_id: int = 0,
    ):
        super().__init__()
        num_rows = rows_per_shard * num_shards
        row_length = (len(stream) - 1) // num_rows
        if row_length < 1:
            raise ValueError(
                f"a split of {len(stream)} tokens cannot fill {num_rows} rows "
                f"({rows_per_shard} per worker x {num_shards} workers); lower --batch-size "
                "(--batch-size-valid for validation)"
            )
        rows = slice(shard_id * rows_per_shard, (shard_id + 1) * rows_per_shard)
        self.row_ids = torch.arange(num_rows)[rows]
        scored = num_rows * row_length
        self.inputs = stream[:scored].view(num_rows, row_length)[rows]  # views, no copies
        self.targets = stream[1 : scored + 1].view(num_rows, row_length)[rows]
        self.segment_length = segment_length
        self.num_segments = math.ceil(row_length / segment_length)

    def __len__(self) -> int:
        return self.num_segments

    def __getitem__(self, segment: int) -> Dict:
        """The batch of segment ``segment``; ``id`` numbers each (row, segment)
        block in stream order, ``segment`` tells a stream's first batch."""
        columns = slice(segment * self.segment_length, (segment + 1) * self.segment_length)
        # Compact copies: a view would take the whole stream's storage along to
        # DataLoader worker processes.
        inputs = self.inputs[:, columns].clone(memory_format=torch.contiguous_format)
        return {
            "id": self.row_ids * self.num_segments + segment,
            "segment": segment,
            "net_input": {"src_tokens": inputs},
            "target": self.targets[:, columns].clone(memory_format=torch.contiguous_format),
            "nsentences": inputs.shape[0],
            "ntokens": inputs.numel(),
        }

    @staticmethod
    def collater(items: List[Dict]) -> Dict:
        """Every item is already a whole batch (one segment of every row)."""
        (sample,) = items
        return sample
