"""Choosing the implementation ("backend") an op runs.

Backends:
  "torch"   the fastest PyTorch forms in `fwp_kernels.ops` (any device).
  "triton"  the Triton kernels of the ops' triton.py modules (CUDA; on CPU tensors only
            under the Triton interpreter, TRITON_INTERPRET=1 set before import).

`backend="auto"` runs the backend named by the environment variable FWP_BACKEND
if it is set (to a backend name or "auto"); otherwise, and for FWP_BACKEND=auto,
"triton" for CUDA tensors (float32, bfloat16, float16) of an op that has a
Triton implementation, when every head dim is at most TRITON_MAX_HEAD_DIM (the
kernels pad any head dim to a whole tile), and "torch" for everything else
(float64 and larger head dims included). A backend named explicitly (argument or FWP_BACKEND) must
exist for the op, and "triton" refuses float64 inputs (it would compute them in
float32, while the ops promise float64 accumulation for float64).

Per-step resets (the ops' `reset` argument) are taken by the backends in
RESET_BACKENDS only: "torch". When the op is called with a reset mask
(`select_implementation(..., needs_reset=True)`), "auto" selects "torch", and an
explicitly named backend without reset support raises a ValueError.

The implementations are the forms each op's interface declares
(`fwp_kernels.ops.OPS[op].forms`, "module:function" imported on first use), so
neither importing `fwp_kernels` nor running on CPU needs triton installed.
"""

import importlib
import os
from typing import Callable, List, Sequence

import torch

from fwp_kernels.ops import OPS

BACKEND_ENV_VAR = "FWP_BACKEND"
BACKENDS = ("torch", "triton")

# Input dtypes the Triton kernels take; "auto" sends anything else (float64) to torch.
TRITON_DTYPES = (torch.float32, torch.bfloat16, torch.float16)
# The largest head dim the Triton kernels take; smaller ones, powers of two or
# not, run padded to a whole tile (`fwp_kernels.ops.common.tiles`).
TRITON_MAX_HEAD_DIM = 128
# Backends whose implementations take the `reset` argument (the Triton kernels do not yet).
RESET_BACKENDS = ("torch",)


def select_implementation(
    op: str,
    backend: str,
    device: torch.device,
    dtype: torch.dtype = torch.float32,
    head_dims: Sequence[int] = (),
    needs_reset: bool = False,
) -> Callable:
    """The implementation of `op` for the requested backend ("auto" or a backend name) on tensors
    of `dtype` on `device` whose head dims (the last dims of q, k, v) are `head_dims`;
    with `needs_reset`, one that takes the `reset` argument (a backend of RESET_BACKENDS).

    Raises ValueError for an unknown backend (naming where it came from: the
    `backend` argument or FWP_BACKEND), a backend the op does not have or, with
    `needs_reset`, a backend without reset support, and RuntimeError when Triton
    cannot run (not installed; CPU tensors without the interpreter).
    """
    source = "the backend argument"
    if backend == "auto":
        backend = os.environ.get(BACKEND_ENV_VAR, "auto")
        source = f"the environment variable {BACKEND_ENV_VAR}"
    if backend not in ("auto", *BACKENDS):
        raise unknown_backend_error(backend, source, ["auto", *BACKENDS])
    forms = OPS[op].forms
    if backend == "auto":
        on_triton = (
            device.type == "cuda"
            and dtype in TRITON_DTYPES
            and all(dim <= TRITON_MAX_HEAD_DIM for dim in head_dims)
            and "triton" in forms
            and not needs_reset
        )
        backend = "triton" if on_triton else "torch"
    if needs_reset and backend not in RESET_BACKENDS:
        raise reset_unsupported_error(backend, source)
    if backend == "triton" and dtype not in TRITON_DTYPES:
        raise TypeError(
            f"the Triton kernels compute in float32 and take {', '.join(map(str, TRITON_DTYPES))} inputs, "
            f"not {dtype} (backend 'triton' requested by {source}); use backend='torch' or 'auto', "
            f"which computes {dtype} inputs in {dtype}"
        )
    if backend not in forms:
        raise ValueError(
            f"op {op!r} has no {backend} implementation yet (requested by {source}); "
            f"available: {', '.join(repr(form) for form in BACKENDS if form in forms)}"
        )
    if backend == "triton":
        check_triton_can_run(device)
    return OPS[op].form(backend)


def check_triton_can_run(device: torch.device) -> None:
    """Triton is installed, and tensors on CPU run under its interpreter (TRITON_INTERPRET=1)."""
    try:
        importlib.import_module("triton")
    except ImportError as error:
        raise RuntimeError(
            "the triton backend needs the triton package: pip install triton==3.7.1 "
            "(or use backend='torch')"
        ) from error
    if device.type == "cpu" and os.environ.get("TRITON_INTERPRET") != "1":
        raise RuntimeError(
            "the triton backend on CPU tensors runs only under the Triton interpreter: set TRITON_INTERPRET=1 "
            "in the environment before the Triton kernels are imported (or use backend='torch' on CPU)"
        )


def reset_unsupported_error(backend: str, source: str) -> ValueError:
    """The error for a reset mask sent to a backend outside RESET_BACKENDS (the Triton kernels)."""
    fix = "use backend='torch' or 'auto'"
    if source != "the backend argument":
        fix = f"use backend='torch', or set {BACKEND_ENV_VAR} to 'torch' or 'auto'"
    return ValueError(
        f"the Triton kernels do not support reset yet (backend {backend!r} requested by {source}); {fix}"
    )


def unknown_backend_error(name: object, source: str, choices: List[str]) -> ValueError:
    return ValueError(f"unknown backend {name!r} from {source}; valid choices: {', '.join(map(repr, choices))}")
