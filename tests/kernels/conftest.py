"""Fixtures for the kernel tests: the op configurations and realistic inputs.

Inputs look like what the paper's layers produce: keys and queries go through
phi(z) = sumnorm(elu(z) + 1) (so ||k||_2 <= 1) and beta = sigmoid(.) is in
(0, 1), so the delta rule recurrence stays bounded.
"""

from dataclasses import dataclass
from typing import Callable

import pytest
import torch
import torch.nn.functional as F

import kernels
from kernels.reference import delta_rule_step_loop, linear_attention_step_loop


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


@dataclass
class OpCase:
    """One op configuration: linear attention (normalised or not) or the delta rule."""

    name: str
    normalize: bool = False

    def run_chunked(self, inputs: dict, **options):
        """The public op (chunkwise "torch" backend) on `inputs` -> (output, final state)."""
        op = kernels.delta_rule if self.name == "delta_rule" else kernels.linear_attention
        return op(**inputs, **options)

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

    flatten = staticmethod(flatten_tensors)

    @staticmethod
    def named_tensors(inputs: dict) -> list:
        """(name, tensor) for the tensor inputs in order: q, k, v, [beta], [initial_state or its W and z]."""
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


@pytest.fixture(
    params=[OpCase("linear_attention"), OpCase("linear_attention", normalize=True), OpCase("delta_rule")],
    ids=["linear_attention", "linear_attention-normalized", "delta_rule"],
)
def op_case(request) -> OpCase:
    return request.param
