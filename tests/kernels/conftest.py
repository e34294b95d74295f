"""Fixtures for the kernel tests: the op configurations and realistic inputs.

Inputs look like what the paper's layers produce: keys and queries go through
phi(z) = sumnorm(elu(z) + 1) (so ||k||_2 <= 1) and beta = sigmoid(.) is in
(0, 1), so the delta rule recurrence stays bounded. The recurrent fast weights
of the Delta RNN and Delta LSTM get softmax keys; the recurrent delta rule gets
pre-activation inputs and slow weights drawn from N(0, 1/D), as in the paper.
"""

from dataclasses import dataclass
from typing import Callable

import pytest
import torch
import torch.nn.functional as F

import fwp_kernels
import fwp_kernels.reference
from fwp_kernels.reference import delta_rule_step_loop, linear_attention_step_loop


def phi(z: torch.Tensor) -> torch.Tensor:
    positive = F.elu(z) + 1
    return positive / positive.sum(dim=-1, keepdim=True)


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


@dataclass
class OpCase(InputHelpers):
    """One op configuration: linear attention (normalised or not) or the delta rule."""

    name: str
    normalize: bool = False

    @property
    def sequence_inputs(self) -> tuple:
        """The names of the inputs with a time axis (dim 1)."""
        return ("q", "k", "v", "beta")

    def run_chunked(self, inputs: dict, **options):
        """The public op (chunkwise "torch" backend) on `inputs` -> (output, final state)."""
        op = fwp_kernels.delta_rule if self.name == "delta_rule" else fwp_kernels.linear_attention
        return op(**inputs, **options)

    def run_fast(self, inputs: dict, chunk_size: int = 16, **options):
        """run_chunked with RecurrentOpCase.run_fast's signature, for tests over every op (any_case)."""
        return self.run_chunked(inputs, chunk_size=chunk_size, **options)

    def run_step_loop(self, inputs: dict, **options):
        """The step-loop reference on `inputs` -> (output, final state)."""
        op = delta_rule_step_loop if self.name == "delta_rule" else linear_attention_step_loop
        return op(**inputs, **options)

    def make_inputs(
        self,
        batch: int = 2,
        seq_len: int = 37,
        heads: int = 3,
        key_dim: int = 8,
        value_dim: int = 8,
        with_state: bool = False,
        dtype: torch.dtype = torch.float64,
        seed: int = 0,
    ) -> dict:
        """Keyword arguments for the op: q, k, v, [beta], [normalize], [initial_state]; tensors require grad."""
        generator = torch.Generator().manual_seed(seed)

        def randn(*shape: int) -> torch.Tensor:
            return torch.randn(*shape, generator=generator, dtype=torch.float64)

        tensors = {
            "q": phi(randn(batch, seq_len, heads, key_dim)),
            "k": phi(randn(batch, seq_len, heads, key_dim)),
            "v": randn(batch, seq_len, heads, value_dim),
        }
        if self.name == "delta_rule":
            tensors["beta"] = torch.sigmoid(randn(batch, seq_len, heads))
        if with_state:
            weights = 0.5 * randn(batch, heads, value_dim, key_dim)
            # a key sum z adds up earlier phi keys: positive entries
            key_sum = 1.0 + 3.0 * torch.rand(batch, heads, key_dim, generator=generator, dtype=torch.float64)
            tensors["initial_state"] = (weights, key_sum) if self.normalize else weights
        inputs = {name: map_tensors(lambda x: x.to(dtype).requires_grad_(), x) for name, x in tensors.items()}
        if self.name == "linear_attention":
            inputs["normalize"] = self.normalize
        return inputs


OP_CASES = [OpCase("linear_attention"), OpCase("linear_attention", normalize=True), OpCase("delta_rule")]
OP_CASE_IDS = ["linear_attention", "linear_attention-normalized", "delta_rule"]


@pytest.fixture(params=OP_CASES, ids=OP_CASE_IDS)
def op_case(request) -> OpCase:
    return request.param


def programmed_inputs(randn: Callable[..., torch.Tensor], steps: tuple, key_dim: int, dim: int) -> dict:
    """Delta RNN / LSTM inputs with leading dims `steps`: q, k = phi(.) [*steps, key_dim]; v, rv [*steps, dim];
    rk = softmax(.) [*steps, dim]; beta, rbeta = sigmoid(.) [*steps]."""
    return {
        "q": phi(randn(*steps, key_dim)),
        "k": phi(randn(*steps, key_dim)),
        "v": randn(*steps, dim),
        "beta": torch.sigmoid(randn(*steps)),
        "rk": torch.softmax(randn(*steps, dim), dim=-1),
        "rv": randn(*steps, dim),
        "rbeta": torch.sigmoid(randn(*steps)),
    }


@dataclass
class RecurrentOpCase(InputHelpers):
    """An op with a recurrence on its output: "delta_rnn", "delta_lstm" or "recurrent_delta_rule"."""

    name: str

    @property
    def chunked(self) -> bool:
        """Whether the fast form is chunkwise (takes chunk_size); the recurrent delta rule's is a step loop."""
        return self.name != "recurrent_delta_rule"

    @property
    def sequence_inputs(self) -> tuple:
        """The names of the inputs with a time axis (dim 1)."""
        if self.name == "recurrent_delta_rule":
            return ("q", "k", "v", "beta")
        return ("q", "k", "v", "beta", "rk", "rv", "rbeta")

    @property
    def state_names(self) -> list:
        """Names of the flattened (output, final state)."""
        parts = {"delta_rnn": "WRy", "delta_lstm": "WRhc", "recurrent_delta_rule": "Wy"}[self.name]
        return ["output", *(f"final {part}" for part in parts)]

    def run_fast(self, inputs: dict, chunk_size: int = 16, **options):
        """The public op ("torch" backend) -> (output, final state); chunk_size goes to the chunkwise ops only."""
        if self.chunked:
            options["chunk_size"] = chunk_size
        return getattr(fwp_kernels, self.name)(**inputs, **options)

    def run_step_loop(self, inputs: dict, **options):
        """The step-loop reference on `inputs` -> (output, final state)."""
        return getattr(fwp_kernels.reference, f"{self.name}_step_loop")(**inputs, **options)

    def make_inputs(
        self,
        batch: int = 2,
        seq_len: int = 37,
        heads: int = 3,
        dim: int = 4,
        key_dim: int = 5,
        with_state: bool = False,
        dtype: torch.dtype = torch.float64,
        seed: int = 0,
    ) -> dict:
        """Keyword arguments for the op, tensors requiring grad; `key_dim` is the Delta RNN's Dk (q, k, W)."""
        generator = torch.Generator().manual_seed(seed)

        def randn(*shape: int) -> torch.Tensor:
            return torch.randn(*shape, generator=generator, dtype=torch.float64)

        if self.name == "delta_rnn":
            tensors = programmed_inputs(randn, (batch, seq_len, heads), key_dim, dim)
            state = (0.5 * randn(batch, heads, dim, key_dim), 0.5 * randn(batch, heads, dim, dim))
            state += (randn(batch, heads, dim),)
        elif self.name == "delta_lstm":
            tensors = programmed_inputs(randn, (batch, seq_len, heads, 3), dim, dim)  # a gate axis of size 3
            weights = (batch, heads, 3, dim, dim)
            state = (0.5 * randn(*weights), 0.5 * randn(*weights), randn(batch, heads, dim), randn(batch, heads, dim))
        else:
            tensors = {name: randn(batch, seq_len, heads, dim) for name in ("q", "k", "v")}
            tensors["beta"] = randn(batch, seq_len, heads)
            tensors.update({name: randn(heads, dim, dim) / dim**0.5 for name in ("Rq", "Rk", "Rv")})
            tensors["rbeta"] = randn(heads, dim) / dim**0.5
            state = (0.5 * randn(batch, heads, dim, dim), randn(batch, heads, dim))
        if with_state:
            tensors["initial_state"] = state
        return {name: map_tensors(lambda x: x.to(dtype).requires_grad_(), x) for name, x in tensors.items()}


RECURRENT_CASES = [RecurrentOpCase("delta_rnn"), RecurrentOpCase("delta_lstm"), RecurrentOpCase("recurrent_delta_rule")]


@pytest.fixture(params=RECURRENT_CASES, ids=lambda case: case.name)
def recurrent_case(request) -> RecurrentOpCase:
    return request.param


@pytest.fixture(params=OP_CASES + RECURRENT_CASES, ids=OP_CASE_IDS + [case.name for case in RECURRENT_CASES])
def any_case(request):
    """Every op configuration: those of op_case, then those of recurrent_case."""
    return request.param


@pytest.fixture(params=[RecurrentOpCase("delta_rnn"), RecurrentOpCase("delta_lstm")], ids=lambda case: case.name)
def chunked_recurrent_case(request) -> RecurrentOpCase:
    """The recurrent ops with a chunkwise fast form."""
    return request.param
