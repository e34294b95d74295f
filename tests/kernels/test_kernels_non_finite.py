"""Non-finite inputs keep causality: outputs before a NaN/Inf input never depend on it.

The recurrences as written (the step loops) are causal by construction; the
chunkwise forms would spread a NaN at step t to the earlier outputs of its
chunk, so the public ops run the step loop when an input is not finite. Every
backend is checked: "torch" on float64, "triton" (interpreter) on float32.
"""

import pytest
import torch

import fwp_kernels
from fwp_kernels.backend import select_implementation

BATCH, SEQ_LEN, CHUNK, BAD_STEP = 2, 13, 8, 5  # the bad step sits inside the first chunk


def poisoned(case, inputs: dict, name: str, value: float) -> dict:
    """`inputs` (detached) with `value` at row 0, step BAD_STEP, head 1 of the input `name`."""
    clean = {key: (x.detach().clone() if isinstance(x, torch.Tensor) else x) for key, x in inputs.items()}
    clean[name][0, BAD_STEP, 1] = value
    return clean


def outputs(case, inputs: dict, **options) -> torch.Tensor:
    return case.run_fast(inputs, chunk_size=CHUNK, **options)[0]


@pytest.mark.parametrize("value", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_outputs_before_a_non_finite_input_do_not_depend_on_it(any_case, value):
    case = any_case
    inputs = case.make_inputs(batch=BATCH, seq_len=SEQ_LEN, heads=2)
    clean = outputs(case, {key: (x.detach() if isinstance(x, torch.Tensor) else x) for key, x in inputs.items()})
    for name in [name for name in ("q", "k", "v", "beta") if name in inputs]:
        check_causal(case, poisoned(case, inputs, name, value), clean, value)


def check_causal(case, bad: dict, clean: torch.Tensor, value: float) -> None:
    fast = outputs(case, bad)
    stepped = case.run_step_loop(bad)[0]
    torch.testing.assert_close(fast[0, :BAD_STEP], clean[0, :BAD_STEP])
    torch.testing.assert_close(fast[1], clean[1])  # the other row is untouched
    torch.testing.assert_close(fast, stepped, equal_nan=True)  # from the bad step on: as the recurrence says
    if torch.isnan(torch.tensor(value)):  # (an infinite beta can saturate a sigmoid to a finite value)
        assert torch.isnan(fast[0, BAD_STEP]).any()


def test_a_reset_after_a_non_finite_input_starts_clean(any_case):
    case = any_case
    inputs = case.make_inputs(batch=BATCH, seq_len=SEQ_LEN, heads=2)
    bad = poisoned(case, inputs, "v", float("nan"))
    reset = torch.zeros(BATCH, SEQ_LEN, dtype=torch.bool)
    reset[:, BAD_STEP + 2] = True
    fast = outputs(case, bad, reset=reset)
    assert torch.isfinite(fast[0, BAD_STEP + 2:]).all()
    torch.testing.assert_close(fast, case.run_step_loop(bad, reset=reset)[0], equal_nan=True)


@pytest.mark.parametrize("op", ["linear_attention", "delta_rule"])
def test_triton_backend_keeps_causality(op):
    q, k, v = (torch.rand(1, 6, 1, 16) for _ in range(3))
    beta = {"beta": torch.rand(1, 6, 1)} if op == "delta_rule" else {}
    v[0, 4] = float("nan")
    run = getattr(fwp_kernels, op)
    output, _ = run(q, k, v, **beta, backend="triton", chunk_size=16)
    clean, _ = run(q, k, torch.nan_to_num(v), **beta, backend="torch", chunk_size=16)
    torch.testing.assert_close(output[0, :4], clean[0, :4])
    assert torch.isnan(output[0, 4:]).all()


def test_triton_refuses_float64_instead_of_computing_it_in_float32():
    with pytest.raises(TypeError, match="Triton kernels compute in float32 .* not torch.float64 .* use backend='torch'"):
        select_implementation("delta_rule", "triton", torch.device("cpu"), torch.float64)
    q = torch.rand(1, 4, 1, 16, dtype=torch.float64)
    with pytest.raises(TypeError, match="not torch.float64"):
        fwp_kernels.delta_rule(q, q, q, torch.rand(1, 4, 1, dtype=torch.float64), backend="triton")
