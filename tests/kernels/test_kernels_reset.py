"""Per-step resets (the ops' `reset` argument) for every op.

reset[b, t] = True sets row b's whole state to zero just before step t. The
step loops (the oracle) are checked against independent runs; the fast forms
("torch" backend: chunkwise, or the lean step loop of the recurrent delta rule)
against the step loops. Tiny float64 sizes; T=23 in chunks of 4 (five full
chunks and a padded one) unless stated.
"""

import re

import pytest
import torch

from kernel_helpers import assert_all_close
from fwp_kernels.backend import select_implementation
from fwp_kernels.ops import OPS

BATCH, SEQ_LEN, CHUNK = 4, 23, 4
FORMS = ["fast", "step_loop"]  # the "torch" backend's form, the step-loop reference


def run(case, form: str, inputs: dict, chunk_size: int = CHUNK, **options) -> list:
    """The fast form or the step loop -> [output, *final state parts]."""
    if form == "fast":
        result = case.run_fast(inputs, chunk_size=chunk_size, output_final_state=True, **options)
    else:
        result = case.run_step_loop(inputs, output_final_state=True, **options)
    return case.flatten(*result)


def result_names(results: list) -> list:
    return ["output", *(f"final state[{i}]" for i in range(len(results) - 1))]


def random_reset(batch: int = BATCH, seq_len: int = SEQ_LEN) -> torch.Tensor:
    """[B, T] bool: random resets (p = 0.2) and, for chunks of 4, row 0 at t = 0, row 1 at the chunk starts 8
    and 12, row 2 at two consecutive steps (5, 6) and at the last step; row 3 keeps its random resets."""
    reset = torch.rand(batch, seq_len, generator=torch.Generator().manual_seed(2)) < 0.2
    reset[0, 0] = reset[1, 8] = reset[1, 12] = reset[2, 5] = reset[2, 6] = reset[2, seq_len - 1] = True
    return reset


@pytest.mark.parametrize("chunk_size", [1, CHUNK, 64], ids=["C=1", "C=4", "C>T"])
def test_fast_form_matches_step_loop(any_case, chunk_size):
    """Outputs, final states and the gradient of every input (initial state and slow weights included)."""
    case = any_case
    inputs = case.make_inputs(batch=BATCH, seq_len=SEQ_LEN, heads=2, with_state=True)
    reset = random_reset()
    fast = run(case, "fast", inputs, chunk_size=chunk_size, reset=reset)
    stepped = run(case, "step_loop", inputs, reset=reset)
    assert_all_close(fast, stepped, result_names(stepped))

    leaf_names, leaves = zip(*case.named_tensors(inputs))
    generator = torch.Generator().manual_seed(1)
    upstream = [torch.randn(x.shape, generator=generator, dtype=x.dtype) for x in stepped]
    fast_grads = torch.autograd.grad(fast, leaves, upstream)
    stepped_grads = torch.autograd.grad(stepped, leaves, upstream)
    assert_all_close(fast_grads, stepped_grads, [f"gradient of {name}" for name in leaf_names])


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("start", [0, 6, 8], ids=["t0=0", "t0=6 (inside a chunk)", "t0=8 (a chunk start)"])
def test_reset_row_equals_independent_runs(any_case, form, start):
    """Row 1 resets at t0: before t0 it is a run from its initial state on steps [0, t0), from t0 on a fresh
    run (no initial state) on steps [t0, T); the other rows are those of a run without reset."""
    case = any_case
    inputs = case.make_inputs(batch=3, seq_len=13, heads=2, with_state=True)
    reset = torch.zeros(3, 13, dtype=torch.bool)
    reset[1, start] = True
    with_reset = run(case, form, inputs, reset=reset)
    names = result_names(with_reset)
    row = slice(1, 2)

    fresh = run(case, form, case.select(inputs, row, slice(start, None), with_state=False))
    assert_all_close([with_reset[0][row, start:]] + [x[row] for x in with_reset[1:]], fresh, names)
    if start > 0:
        before = run(case, form, case.select(inputs, row, slice(None, start)))
        torch.testing.assert_close(with_reset[0][row, :start], before[0])
    without_reset = run(case, form, inputs)
    for other_row in (0, 2):
        assert_all_close([x[other_row] for x in with_reset], [x[other_row] for x in without_reset], names)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("start", [0, 6, 8], ids=["t0=0", "t0=6 (inside a chunk)", "t0=8 (a chunk start)"])
def test_no_gradient_crosses_a_reset(any_case, form, start):
    """Row 1 resets at t0: its outputs at t >= t0 have an exactly zero gradient with respect to every
    sequence input at t < t0 and to the initial state, and a finite one everywhere."""
    case = any_case
    inputs = case.make_inputs(batch=3, seq_len=13, heads=2, with_state=True)
    reset = torch.zeros(3, 13, dtype=torch.bool)
    reset[1, start] = True
    output = run(case, form, inputs, reset=reset)[0]

    leaf_names, leaves = zip(*case.named_tensors(inputs))
    grads = dict(zip(leaf_names, torch.autograd.grad(output[1, start:].sum(), leaves)))
    assert all(torch.isfinite(grad).all() for grad in grads.values())
    for name, grad in grads.items():
        if name in case.sequence_inputs:
            assert torch.equal(grad[:, :start], torch.zeros_like(grad[:, :start])), name
            assert grad[1, start:].abs().sum() > 0, name  # the steps from t0 on do matter
        elif name.startswith("initial_state"):
            assert torch.equal(grad, torch.zeros_like(grad)), name


@pytest.mark.parametrize("form", FORMS)
def test_no_resets_equals_reset_none_exactly(any_case, form):
    """An all-False mask gives bit for bit the results and gradients of reset=None."""
    case = any_case
    inputs = case.make_inputs(batch=2, seq_len=SEQ_LEN, heads=2, with_state=True)
    leaves = case.tensors_of(inputs)
    results = []
    for reset in (None, torch.zeros(2, SEQ_LEN, dtype=torch.bool)):
        flat = run(case, form, inputs, reset=reset)
        results.append(flat + list(torch.autograd.grad(flat, leaves, [torch.ones_like(x) for x in flat])))
    assert all(torch.equal(a, b) for a, b in zip(*results, strict=True))


def small_inputs(case) -> dict:
    """B=2, T=5 inputs for the input checks."""
    return case.make_inputs(batch=2, seq_len=5, heads=1)


@pytest.mark.parametrize(
    "make_reset,error,message",
    [
        (
            lambda: torch.zeros(2, 6, dtype=torch.bool),
            ValueError,
            "reset has shape (2, 6), expected (2, 5) = [B, T] of q (one flag per batch element and step)",
        ),
        (lambda: torch.zeros(2, 5, 1, dtype=torch.bool), ValueError, "reset has shape (2, 5, 1), expected (2, 5)"),
        (lambda: torch.zeros(2, 5), TypeError, "reset has dtype torch.float32, expected torch.bool"),
        (lambda: torch.zeros(2, 5, dtype=torch.long), TypeError, "pass reset.bool()"),
        (lambda: [[False] * 5] * 2, TypeError, "reset must be a bool tensor [B, T] or None, got list"),
        (
            lambda: torch.zeros(2, 5, dtype=torch.bool, device="meta"),
            ValueError,
            "reset is on device meta, expected cpu (the device of q)",
        ),
    ],
    ids=["long T", "3 dims", "float", "int64", "list", "device"],
)
def test_bad_reset_is_rejected(any_case, make_reset, error, message):
    with pytest.raises(error, match=re.escape(message)):
        any_case.run_fast(small_inputs(any_case), reset=make_reset())


def test_explicit_triton_backend_with_reset_is_rejected(any_case, monkeypatch):
    monkeypatch.delenv("FWP_BACKEND", raising=False)
    inputs = small_inputs(any_case)
    reset = torch.zeros(2, 5, dtype=torch.bool)
    message = (
        "the Triton kernels do not support reset yet (backend 'triton' requested by the backend argument); "
        "use backend='torch' or 'auto'"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        any_case.run_fast(inputs, reset=reset, backend="triton")

    monkeypatch.setenv("FWP_BACKEND", "triton")
    with pytest.raises(ValueError, match=re.escape("requested by the environment variable FWP_BACKEND")):
        any_case.run_fast(inputs, reset=reset)


@pytest.mark.parametrize("environment", [None, "auto"], ids=["FWP_BACKEND unset", "FWP_BACKEND=auto"])
def test_auto_backend_with_reset_runs_torch(monkeypatch, environment):
    """On CUDA float32 tensors with head dims the Triton kernels take, "auto" picks torch when there are resets."""
    if environment is None:
        monkeypatch.delenv("FWP_BACKEND", raising=False)
    else:
        monkeypatch.setenv("FWP_BACKEND", environment)
    cuda = torch.device("cuda")
    for op, interface in OPS.items():
        selected = select_implementation(op, "auto", cuda, torch.float32, (16, 16, 16), needs_reset=True)
        assert selected is interface.form("torch"), op
