"""Per-step resets of the recurrent state: the `reset` argument of every op.

reset: [B, T] bool. reset[b, t] = True sets every part of row b's state to zero
just before step t, so that step t runs as the first step of a new sequence
(an episode boundary in a batch of unrolls). The step loops apply it literally
with `zero_rows`. The chunkwise forms apply it through masks over the positions
i, j = 0..C-1 of one chunk (`ChunkResets`), with r_i = reset at position i:

    seg_i   = sum_{j<=i} r_j        the segment of position i; segment 0 continues the chunk's start state S
    same_ij = [seg_i == seg_j]      steps i and j see each other's updates
    g_i     = [seg_i == 0]          S still counts at step i (no reset at positions 0..i)

A state written by rank-one updates, S_i = S + sum_{j<=i} u_j k_j^T without
resets, becomes

    S_i = g_i S + sum_{j<=i, same_ij} u_j k_j^T,

so a chunkwise form multiplies its causal (tril) matrices by same, the terms
it reads from S by g, and builds the state after the chunk from g_{C-1} and the
updates of the last segment (same_{C-1, j}). The masks are 0/1 factors (and
`zero_rows` is a masked_fill), so the gradients across a reset are exactly zero.
"""

import itertools
from typing import Iterable, Optional

import torch

from fwp_kernels.chunking import iterate_chunks


def zero_rows(x: torch.Tensor, rows: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """x with the batch rows where rows: [B] (bool) is True set to zero; `dim` is the batch dim of x.

    Used before a step: state = zero_rows(state, reset[:, t]). No gradient flows to the zeroed entries.
    """
    shape = [1] * x.dim()
    shape[dim] = -1
    return x.masked_fill(rows.view(shape), 0)


def per_row(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """mask: [B, *M] viewed as [B, 1, ..., 1, *M] with the dims of `like`: it broadcasts over like's head dims."""
    return mask.view(mask.shape[0], *(1,) * (like.dim() - mask.dim()), *mask.shape[1:])


class ChunkResets:
    """The resets inside one chunk of C steps as masks, for the chunkwise forms.

    reset: [B, C], 0/1 in the compute dtype, or None for no resets: then every
    method returns its input unchanged (the code path without resets, at no cost).
    The masks are per batch row; the tensors they mask have head dims after B
    ([B, H, C, ...] or, for the Delta LSTM, [B, H, 3, C, ...]).
    """

    def __init__(self, reset: Optional[torch.Tensor]):
        self.reset = self.same_segment = self.carry = None
        if reset is None:
            return
        self.reset = reset.bool()  # r: [B, C]
        segment = reset.cumsum(dim=-1)  # seg: [B, C]
        self.same_segment = (segment.unsqueeze(-1) == segment.unsqueeze(-2)).to(reset.dtype)  # same: [B, C, C]
        self.carry = (segment == 0).to(reset.dtype).unsqueeze(-1)  # g: [B, C, 1]

    def restart(self, t: int, x: torch.Tensor) -> torch.Tensor:
        """x: [B, ...] (a vector state such as y, h, c) zeroed in the rows that reset before chunk step t."""
        return x if self.reset is None else zero_rows(x, self.reset[:, t])

    def within(self, scores: torch.Tensor) -> torch.Tensor:
        """scores: [B, ..., C, C] between steps i (rows) and j (columns) -> kept where same_ij."""
        return scores if self.same_segment is None else scores * per_row(self.same_segment, scores)

    def from_start(self, rows: torch.Tensor) -> torch.Tensor:
        """rows: [B, ..., C, D], row i read from the chunk's start state -> kept where g_i."""
        return rows if self.carry is None else rows * per_row(self.carry, rows)

    def at_end(self, state: torch.Tensor) -> torch.Tensor:
        """The start state [B, ...] as it counts after the chunk: g_{C-1} state."""
        return state if self.carry is None else state * per_row(self.carry[:, -1, 0], state)

    def in_last_segment(self, rows: torch.Tensor) -> torch.Tensor:
        """rows: [B, ..., C, D], one per step j -> kept where same_{C-1, j} (the updates the end state keeps)."""
        return rows if self.same_segment is None else rows * per_row(self.same_segment[:, -1].unsqueeze(-1), rows)

    def pair_mask(self, start_pairs: int, like: torch.Tensor) -> Optional[torch.Tensor]:
        """For a state read as `start_pairs` key/value pairs of the start state followed by one pair per step:
        [B, 1, ..., 1, C, start_pairs + C] with the dims of `like`, whose row t is
        [g_t, ..., g_t, same_{t, 0}, ..., same_{t, C-1}]; None without resets.
        """
        if self.carry is None:
            return None
        mask = torch.cat([self.carry.expand(-1, -1, start_pairs), self.same_segment], dim=-1)
        return per_row(mask, like)


NO_RESETS = ChunkResets(None)


def chunk_resets(reset: Optional[torch.Tensor], chunk_size: int, dtype: torch.dtype) -> Iterable[ChunkResets]:
    """reset: [B, T] bool or None -> the `ChunkResets` of each chunk of `iterate_chunks` (same chunk size and
    zero padding: a padded step resets nothing); without resets, NO_RESETS for every chunk."""
    if reset is None:
        return itertools.repeat(NO_RESETS)
    chunks = iterate_chunks((reset.unsqueeze(-1),), chunk_size, dtype)  # [B, T, 1] -> [B, 1, C] per chunk
    return (ChunkResets(chunk.squeeze(1)) for (chunk,) in chunks)
