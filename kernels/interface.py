"""What one fast weight op takes and gives, declared once per op.

Each op folder `fwp_kernels.ops.<op>` declares its `OpInterface` in `interface.py`;
`fwp_kernels.ops.OPS` collects them by name. The public ops (`fwp_kernels.api`)
validate with `check_inputs` and run the form the dispatcher
(`fwp_kernels.backend`) picks from `forms`; the tests and the benchmarks build
inputs with `example_inputs` and name the inputs and state parts from it.

An op is called as op(*inputs, [its own options,] initial_state=..., output_final_state=...,
[chunk_size=...,] reset=...): `inputs` are the tensors named by `sequence_inputs`
(time on dim 1: [B, T, H, ...]) then `slow_weights` (no batch or time axis); linear
attention's own options are normalize and eps.
"""

import importlib
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import torch

from fwp_kernels.state import StatePart

# The forms an op can have: "naive" is the step loop written straight from the recurrence (the test
# oracle, `fwp_kernels.reference`); "torch" and "triton" are the backends the dispatcher chooses from.
FORMS = ("naive", "torch", "triton")


@dataclass(frozen=True)
class OpInterface:
    """One op: its input names, state parts, input check, implementations and example inputs.

    name:            the public op, fwp_kernels.<name>
    sequence_inputs: the tensors with a time axis (dim 1), in call order
    slow_weights:    the tensors after them without batch or time axes (the RDN's Rq, Rk, Rv, rbeta)
    state_parts:     (arguments) -> the `StatePart`s of the state for those arguments, in order
    check_inputs:    (arguments) -> None; raises naming the argument and the fix (initial_state included)
    forms:           form (FORMS) -> "module:function", imported on first use (Triton only when run)
    chunked:         whether the torch and triton forms are chunkwise (take chunk_size; replaced by the
                     naive form on non-finite inputs, see fwp_kernels.api)
    example_inputs:  (batch, seq_len, heads, dim, key_dim, generator) -> {name: float64 tensor}, the
                     inputs as the paper's layers produce them (use `make_example_inputs`)
    """

    name: str
    sequence_inputs: Tuple[str, ...]
    state_parts: Callable[[dict], List[StatePart]]
    check_inputs: Callable[[dict], None]
    forms: Dict[str, str]
    chunked: bool
    example_inputs: Callable[..., Dict[str, torch.Tensor]]
    slow_weights: Tuple[str, ...] = ()

    @property
    def tensor_inputs(self) -> Tuple[str, ...]:
        """The positional tensor inputs: the sequence inputs, then the slow weights."""
        return self.sequence_inputs + self.slow_weights

    def form(self, name: str) -> Callable:
        """The implementation of form `name` ("naive", "torch", "triton"), imported on first use."""
        module, function = self.forms[name].split(":")
        return getattr(importlib.import_module(module), function)


def phi(z: torch.Tensor) -> torch.Tensor:
    """The layers' default feature map on the last dim: sum-normalised elu(z) + 1 (positive, sums to 1)."""
    positive = torch.nn.functional.elu(z) + 1
    return positive / positive.sum(dim=-1, keepdim=True)


def gaussian(generator: torch.Generator, *shape: int) -> torch.Tensor:
    """float64 N(0, 1) draws of `shape`."""
    return torch.randn(*shape, generator=generator, dtype=torch.float64)


def programmed_inputs(
    generator: torch.Generator, steps: Tuple[int, ...], key_dim: int, dim: int, recurrent: bool = False
) -> Dict[str, torch.Tensor]:
    """What a delta-rule layer feeds its op, with leading dims `steps` ([B, T, H] or [B, T, H, 3]):
    q, k = phi(.): [*steps, key_dim]; v ~ N(0, 1): [*steps, dim]; beta = sigmoid(.): [*steps]; with
    recurrent=True also the recurrent fast weights' rk = softmax(.), rv ~ N(0, 1): [*steps, dim] and
    rbeta = sigmoid(.): [*steps]."""
    inputs = {
        "q": phi(gaussian(generator, *steps, key_dim)),
        "k": phi(gaussian(generator, *steps, key_dim)),
        "v": gaussian(generator, *steps, dim),
        "beta": torch.sigmoid(gaussian(generator, *steps)),
    }
    if recurrent:
        inputs.update(
            rk=torch.softmax(gaussian(generator, *steps, dim), dim=-1),
            rv=gaussian(generator, *steps, dim),
            rbeta=torch.sigmoid(gaussian(generator, *steps)),
        )
    return inputs


def make_example_inputs(
    interface: OpInterface,
    batch: int = 2,
    seq_len: int = 16,
    heads: int = 2,
    dim: int = 16,
    key_dim: Optional[int] = None,
    dtype: torch.dtype = torch.float32,
    device: object = "cpu",
    seed: int = 0,
    with_state: bool = False,
    options: Optional[dict] = None,
) -> dict:
    """Keyword arguments for `fwp_kernels.<interface.name>`: its tensors drawn as the paper's layers
    produce them (float64 draws from a generator seeded with `seed`, then cast to `dtype` on `device`),
    `options` (e.g. normalize=True for linear attention), and with_state=True an initial state of the
    parts those options give (every part drawn, small fast weights). dim: the value dim D (Dv);
    key_dim: Dk, where the op allows Dk != D (default D)."""
    generator = torch.Generator().manual_seed(seed)
    tensors = interface.example_inputs(batch, seq_len, heads, dim, key_dim or dim, generator)
    arguments = {name: tensors[name] for name in interface.tensor_inputs}
    arguments.update(options or {})
    if with_state:
        state = tuple(draw_state_part(part, generator) for part in interface.state_parts(arguments))
        arguments["initial_state"] = state[0] if len(state) == 1 else state  # a lone W is passed as a tensor

    def placed(value):
        if isinstance(value, tuple):
            return tuple(placed(x) for x in value)
        return value.to(dtype=dtype, device=device) if isinstance(value, torch.Tensor) else value

    return {name: placed(value) for name, value in arguments.items()}


def draw_state_part(part: StatePart, generator: torch.Generator) -> torch.Tensor:
    """A random state part: fast weights (W, R) of scale 0.5, a key sum z of positive entries (a sum of
    earlier phi keys), an output or cell (y, h, c) of scale 1."""
    if part.name == "z":
        return 1.0 + 3.0 * torch.rand(part.shape, generator=generator, dtype=torch.float64)
    return (0.5 if part.name in ("W", "R") else 1.0) * gaussian(generator, *part.shape)
