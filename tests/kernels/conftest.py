"""Fixtures for the kernel tests: the op configurations and realistic inputs.

Every op is tested through its interface (`fwp_kernels.ops.OPS`): its inputs are
its `example_inputs`, drawn as the paper's layers produce them (keys and
queries through phi(z) = sumnorm(elu(z) + 1), so ||k||_2 <= 1; beta =
sigmoid(.) in (0, 1), so the delta rule recurrence stays bounded; softmax keys
for the recurrent fast weights; pre-activation inputs and N(0, 1/D) slow
weights for the recurrent delta rule), its reference is its naive form.
"""

from dataclasses import dataclass
from typing import Callable, Optional

import pytest
import torch

import fwp_kernels
from fwp_kernels.interface import OpInterface, make_example_inputs
from fwp_kernels.ops import OPS


def flatten_tensors(*values) -> list:
    """The tensors among `values`: tensors, tuples of tensors (a (W, z) state); anything else is skipped."""
    flat = []
    for value in values:
        if isinstance(value, tuple):
            flat.extend(value)
        elif isinstance(value, torch.Tensor):
            flat.append(value)
    return flat


def map_tensors(fn: Callable[[torch.Tensor], torch.Tensor], value):
    """fn applied to a tensor, or to each tensor of a tuple."""
    return tuple(fn(x) for x in value) if isinstance(value, tuple) else fn(value)


class InputHelpers:
    """The tensors of an op's keyword inputs (a dict), in order, replacing them, and slicing them
    (`select`, with the subclass's `sequence_inputs`)."""

    flatten = staticmethod(flatten_tensors)

    @staticmethod
    def named_tensors(inputs: dict) -> list:
        """(name, tensor) for the tensor inputs in order, a state tuple's parts as initial_state[i]."""
        named = []
        for name, value in inputs.items():
            if isinstance(value, tuple):
                named.extend((f"{name}[{i}]", x) for i, x in enumerate(value))
            elif isinstance(value, torch.Tensor):
                named.append((name, value))
        return named

    @classmethod
    def tensors_of(cls, inputs: dict) -> list:
        """The tensor inputs in the order of named_tensors."""
        return [x for _, x in cls.named_tensors(inputs)]

    def select(self, inputs: dict, rows: slice, steps: slice, with_state: bool = True) -> dict:
        """`inputs` for batch `rows` and time `steps`: the sequence inputs (`sequence_inputs`) and the initial
        state's parts sliced, the other inputs (slow weights, flags) kept; with_state=False drops the initial state."""
        selected = {}
        for name, value in inputs.items():
            if name in self.sequence_inputs:
                selected[name] = value[rows, steps]
            elif name == "initial_state":
                if with_state:
                    selected[name] = map_tensors(lambda x: x[rows], value)
            else:
                selected[name] = value
        return selected

    @staticmethod
    def with_tensors(inputs: dict, tensors: list) -> dict:
        """`inputs` with its tensors replaced, in the order of tensors_of."""
        replacements = iter(tensors)
        return {
            name: map_tensors(lambda _: next(replacements), value)
            if isinstance(value, (torch.Tensor, tuple))
            else value
            for name, value in inputs.items()
        }


# Default head dims of the tests' inputs, (D, Dk): unequal where the op allows it.
DEFAULT_DIMS = {"linear_attention": (8, 8), "delta_rule": (8, 8), "delta_rnn": (4, 5), "delta_lstm": (4, 4),
                "recurrent_delta_rule": (4, 4)}


@dataclass
class OpCase(InputHelpers):
    """One op configuration: an op of fwp_kernels.ops.OPS, linear attention normalised or not."""

    name: str
    normalize: bool = False

    @property
    def interface(self) -> OpInterface:
        return OPS[self.name]

    @property
    def chunked(self) -> bool:
        """Whether the fast form is chunkwise (takes chunk_size); the recurrent delta rule's is a step loop."""
        return self.interface.chunked

    @property
    def sequence_inputs(self) -> tuple:
        """The names of the inputs with a time axis (dim 1)."""
        return self.interface.sequence_inputs

    @property
    def state_names(self) -> list:
        """Names of the flattened (output, final state)."""
        parts = self.interface.state_parts(self.make_inputs(batch=1, seq_len=1, heads=1))
        return ["output", *(f"final {part.name}" for part in parts)]

    def run_fast(self, inputs: dict, chunk_size: int = 16, **options):
        """The public op (default backend "auto": the "torch" forms on CPU) -> (output, final state);
        chunk_size goes to the chunkwise ops only."""
        if self.chunked:
            options["chunk_size"] = chunk_size
        return getattr(fwp_kernels, self.name)(**inputs, **options)

    def run_step_loop(self, inputs: dict, **options):
        """The naive form (the step-loop reference) on `inputs` -> (output, final state)."""
        return self.interface.form("naive")(**inputs, **options)

    def make_inputs(
        self,
        batch: int = 2,
        seq_len: int = 37,
        heads: int = 3,
        dim: Optional[int] = None,
        key_dim: Optional[int] = None,
        with_state: bool = False,
        dtype: torch.dtype = torch.float64,
        seed: int = 0,
    ) -> dict:
        """Keyword arguments for the op (make_example_inputs), tensors requiring grad; dim: D (Dv),
        key_dim: Dk where the op allows Dk != D (defaults: DEFAULT_DIMS)."""
        default_dim, default_key_dim = DEFAULT_DIMS[self.name]
        options = {"normalize": self.normalize} if self.name == "linear_attention" else {}
        inputs = make_example_inputs(
            self.interface, batch, seq_len, heads, dim or default_dim, key_dim or default_key_dim,
            dtype=torch.float64, seed=seed, with_state=with_state, options=options,
        )
        return {name: map_tensors(lambda x: x.to(dtype).requires_grad_(), x) if name not in options else x
                for name, x in inputs.items()}


OP_CASES = [OpCase("linear_attention"), OpCase("linear_attention", normalize=True), OpCase("delta_rule")]
OP_CASE_IDS = ["linear_attention", "linear_attention-normalized", "delta_rule"]


@pytest.fixture(params=OP_CASES, ids=OP_CASE_IDS)
def op_case(request) -> OpCase:
    return request.param


RECURRENT_CASES = [OpCase("delta_rnn"), OpCase("delta_lstm"), OpCase("recurrent_delta_rule")]


@pytest.fixture(params=RECURRENT_CASES, ids=lambda case: case.name)
def recurrent_case(request) -> OpCase:
    """The ops with a recurrence on their output: Delta RNN, Delta LSTM, recurrent delta rule."""
    return request.param


@pytest.fixture(params=OP_CASES + RECURRENT_CASES, ids=OP_CASE_IDS + [case.name for case in RECURRENT_CASES])
def any_case(request) -> OpCase:
    """Every op configuration: those of op_case, then those of recurrent_case."""
    return request.param


@pytest.fixture(params=[OpCase("delta_rnn"), OpCase("delta_lstm")], ids=lambda case: case.name)
def chunked_recurrent_case(request) -> OpCase:
    """The recurrent ops with a chunkwise fast form."""
    return request.param
