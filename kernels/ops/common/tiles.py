"""Head dims padded to whole Triton tiles, and cut back.

A Triton block's sizes are powers of two, and a tl.dot operand's at least 16,
so the kernels run on head dims padded with zeros to `tile_dim(D)`. Zero
padding leaves every real entry exact: a zero key or query dim adds nothing to
a product, and a zero value dim of v (and of the initial state) stays zero in
the fast weights and the outputs. The one place where a zero is not neutral is a
softmax over a head dim, where the kernels mask the padding
(`fwp_kernels.ops.common.triton_recurrent.softmax`).
"""

import torch
import torch.nn.functional as F
import triton


def tile_dim(dim: int) -> int:
    """The size a head dim is padded to: the next power of two, at least 16."""
    return max(16, triton.next_power_of_2(dim))


def pad_to_tiles(x: torch.Tensor, axes: int = 1) -> torch.Tensor:
    """x with each of its last `axes` dims zero-padded at the end to `tile_dim`, contiguous (x itself, or a
    contiguous copy, when the dims are whole tiles already)."""
    padding = []
    for size in reversed(x.shape[-axes:]):
        padding += [0, tile_dim(size) - size]
    return F.pad(x, padding).contiguous() if any(padding) else x.contiguous()


def cut(x: torch.Tensor, *sizes: int) -> torch.Tensor:
    """x[..., :sizes[0], ..., :sizes[-1]]: the real entries of padded last dims."""
    return x[(..., *(slice(0, size) for size in sizes))]
