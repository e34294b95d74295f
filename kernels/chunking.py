"""Cutting sequences into chunks and putting chunk outputs back together.

The chunkwise forms walk over N chunks of C consecutive steps; each chunk is a
[B, H, C, ...] slice. A sequence whose length T is not a multiple of C is padded
at the end with zeros: zero keys, values, queries and betas leave the fast
weights unchanged, so padding changes neither the outputs at steps < T nor the
final state.
"""

from typing import Iterator, List, Tuple

import torch
import torch.nn.functional as F


def split_into_chunks(x: torch.Tensor, chunk_size: int, dtype: torch.dtype) -> torch.Tensor:
    """[B, T, H, *F] -> contiguous [B, H, N, C, *F] in `dtype`, N = ceil(T / C), zero padded at the end."""
    batch, seq_len, heads, *features = x.shape
    num_chunks = -(-seq_len // chunk_size)
    x = x.to(dtype).transpose(1, 2)
    padding = num_chunks * chunk_size - seq_len
    if padding:
        # F.pad lists (left, right) pairs from the last dim backwards; the time dim is third.
        x = F.pad(x, (0, 0) * len(features) + (0, padding))
    return x.reshape(batch, heads, num_chunks, chunk_size, *features).contiguous()


def iterate_chunks(
    tensors: Tuple[torch.Tensor, ...], chunk_size: int, dtype: torch.dtype
) -> Iterator[Tuple[torch.Tensor, ...]]:
    """Tensors [B, T, H, *F] -> for each chunk in order, their [B, H, C, *F] slices in `dtype`.

    The chunk size is capped at T, so a short sequence (e.g. one decoding step)
    is one chunk without padding.
    """
    chunk_size = min(chunk_size, tensors[0].shape[1])
    return zip(*(split_into_chunks(x, chunk_size, dtype).unbind(dim=2) for x in tensors))


def merge_chunks(chunk_outputs: List[torch.Tensor], seq_len: int, dtype: torch.dtype) -> torch.Tensor:
    """N outputs [B, H, C, D] in chunk order -> contiguous [B, T, H, D] in `dtype`, padding dropped."""
    output = torch.cat(chunk_outputs, dim=2)[:, :, :seq_len]  # [B, H, T, D]
    return output.transpose(1, 2).contiguous().to(dtype)


def steps_per_chunk(seq_len: int, chunk_size: int) -> List[int]:
    """The number of real (unpadded) steps in each chunk of `iterate_chunks`: C, ..., C, then the rest."""
    chunk_size = min(chunk_size, seq_len)
    return [min(chunk_size, seq_len - start) for start in range(0, seq_len, chunk_size)]
