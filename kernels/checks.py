"""Input checks shared by the ops' interfaces (`fwp_kernels.ops.<op>.interface`).

Every error names the argument, what was received and what was expected.
Sizes: q, k: [B, T, H, Dk]; v: [B, T, H, Dv]; beta: [B, T, H];
fast weights W: [B, H, Dv, Dk]. B, T, H, Dk are read from q and Dv from v.
State tuples are checked against the op's `StatePart`s (`fwp_kernels.state`).
The per-step reset mask is reset: [B, T] bool.
"""

from typing import List, Optional, Sequence

import torch

from fwp_kernels.state import StatePart

def check_tensor(name: str, x: object, reference: Optional[torch.Tensor] = None) -> None:
    """x is a floating-point tensor, on the device of `reference` when given."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must have a floating-point dtype, got {x.dtype}")
    if reference is not None and x.device != reference.device:
        raise ValueError(f"{name} is on device {x.device}, expected {reference.device} (the device of q)")


def check_shape(name: str, x: torch.Tensor, expected: Sequence[int], layout: str) -> None:
    """x.shape == expected; `layout` names the dimensions, e.g. "[B, T, H, Dk]"."""
    if tuple(x.shape) != tuple(expected):
        raise ValueError(f"{name} has shape {tuple(x.shape)}, expected {tuple(expected)} = {layout}")


def check_sequences(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
    """q, k: [B, T, H, Dk] and v: [B, T, H, Dv], T >= 1, one floating dtype and one device."""
    check_tensor("q", q)
    check_tensor("k", k, reference=q)
    check_tensor("v", v, reference=q)
    for name, x in (("q", q), ("k", k), ("v", v)):
        if x.dim() != 4:
            raise ValueError(f"{name} has shape {tuple(x.shape)}, expected 4 dimensions [B, T, H, D]")
        if x.dtype != q.dtype:
            raise TypeError(f"{name} has dtype {x.dtype}, expected {q.dtype} (the dtype of q)")
    batch, seq_len, heads, key_dim = q.shape
    check_sequence_length(q, "[B, T, H, Dk]")
    check_shape("k", k, (batch, seq_len, heads, key_dim), "[B, T, H, Dk] of q")
    check_shape("v", v, (batch, seq_len, heads, v.shape[-1]), "[B, T, H, Dv] with B, T, H of q")


def check_sequence_length(q: torch.Tensor, layout: str) -> None:
    """q has at least one time step (dimension 1); `layout` names the dimensions of q."""
    if q.shape[1] < 1:
        raise ValueError(f"q has shape {tuple(q.shape)}, expected a sequence length T >= 1 in {layout}")


def check_like_q(name: str, x: object, q: torch.Tensor, expected: Sequence[int], layout: str) -> None:
    """x is a tensor with the dtype and device of q and the shape `expected`."""
    check_tensor(name, x, reference=q)
    if x.dtype != q.dtype:
        raise TypeError(f"{name} has dtype {x.dtype}, expected {q.dtype} (the dtype of q)")
    check_shape(name, x, expected, layout)


def check_beta(beta: torch.Tensor, q: torch.Tensor, name: str = "beta") -> None:
    """beta: [B, T, H], floating, on the device of q (any floating dtype)."""
    check_tensor(name, beta, reference=q)
    check_shape(name, beta, q.shape[:3], "[B, T, H] of q")


def check_fast_weights(name: str, state: torch.Tensor, q: torch.Tensor, v: torch.Tensor) -> None:
    """state: [B, H, Dv, Dk], floating, on the device of q (any floating dtype)."""
    batch, _, heads, key_dim = q.shape
    check_tensor(name, state, reference=q)
    check_shape(name, state, (batch, heads, v.shape[-1], key_dim), "[B, H, Dv, Dk]")


def check_reset(reset: object, q: torch.Tensor) -> None:
    """None, or a bool tensor [B, T] with B, T of q, on the device of q."""
    if reset is None:
        return
    if not isinstance(reset, torch.Tensor):
        raise TypeError(f"reset must be a bool tensor [B, T] or None, got {type(reset).__name__}")
    if reset.dtype != torch.bool:
        raise TypeError(
            f"reset has dtype {reset.dtype}, expected torch.bool (True where the state is zeroed before the step): "
            f"pass reset.bool()"
        )
    if reset.device != q.device:
        raise ValueError(
            f"reset is on device {reset.device}, expected {q.device} (the device of q): pass reset.to(q.device)"
        )
    if tuple(reset.shape) != tuple(q.shape[:2]):
        raise ValueError(
            f"reset has shape {tuple(reset.shape)}, expected {tuple(q.shape[:2])} = [B, T] of q "
            f"(one flag per batch element and step)"
        )


def check_chunk_size(chunk_size: object) -> None:
    """chunk_size is a positive int."""
    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")


def check_state_parts(initial_state: object, parts: List[StatePart], q: torch.Tensor) -> None:
    """None, or a tuple with one floating tensor per part, of the part's shape, on the device of q."""
    if initial_state is None:
        return
    expected = ", ".join(f"{part.name} {part.layout}" for part in parts)
    if not isinstance(initial_state, (tuple, list)):
        raise TypeError(f"initial_state must be the tuple ({expected}), got {type(initial_state).__name__}")
    if len(initial_state) != len(parts):
        length = len(initial_state)
        raise ValueError(f"initial_state has length {length}, expected {len(parts)}: the tuple ({expected})")
    for index, (tensor, part) in enumerate(zip(initial_state, parts)):
        name = f"initial_state[{index}] ({part.name})"
        check_tensor(name, tensor, reference=q)
        check_shape(name, tensor, part.shape, part.layout)
