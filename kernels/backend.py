"""Choosing the implementation ("backend") an op runs.

`backend="auto"` runs the backend named by the environment variable FWP_BACKEND
if it is set (to a backend name or "auto"), else DEFAULT_BACKEND. Any other value names a backend directly.
Today there is one backend, "torch": the fastest PyTorch forms in `kernels.ops`
(chunkwise, or for the recurrent delta rule, which has no chunkwise form, a
lean step loop). A new backend is one entry per op in IMPLEMENTATIONS.
"""

import os
from typing import Callable, Dict, List

from kernels.ops.delta_lstm.chunk import chunk_delta_lstm
from kernels.ops.delta_rnn.chunk import chunk_delta_rnn
from kernels.ops.delta_rule.chunk import chunk_delta_rule
from kernels.ops.linear_attention.chunk import chunk_linear_attention
from kernels.ops.recurrent_delta_rule.fused import fused_recurrent_delta_rule

BACKEND_ENV_VAR = "FWP_BACKEND"

# What "auto" runs when FWP_BACKEND is unset; "torch" runs on every device.
DEFAULT_BACKEND = "torch"

# op name -> backend name -> implementation.
IMPLEMENTATIONS: Dict[str, Dict[str, Callable]] = {
    "linear_attention": {"torch": chunk_linear_attention},
    "delta_rule": {"torch": chunk_delta_rule},
    "delta_rnn": {"torch": chunk_delta_rnn},
    "delta_lstm": {"torch": chunk_delta_lstm},
    "recurrent_delta_rule": {"torch": fused_recurrent_delta_rule},
}


def select_implementation(op: str, backend: str) -> Callable:
    """The implementation of `op` for the requested backend ("auto" or a backend name).

    Raises ValueError naming the unknown backend, where it came from (the
    `backend` argument or FWP_BACKEND) and the valid choices.
    """
    implementations = IMPLEMENTATIONS[op]
    source = "the backend argument"
    if backend == "auto":
        backend = os.environ.get(BACKEND_ENV_VAR, "auto")
        source = f"the environment variable {BACKEND_ENV_VAR}"
    if backend == "auto":
        backend = DEFAULT_BACKEND
    if backend not in implementations:
        raise unknown_backend_error(backend, source, ["auto", *implementations])
    return implementations[backend]


def unknown_backend_error(name: object, source: str, choices: List[str]) -> ValueError:
    return ValueError(f"unknown backend {name!r} from {source}; valid choices: {', '.join(map(repr, choices))}")
