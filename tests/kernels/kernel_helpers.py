"""Assertions and tolerances shared by the kernel test modules (fixtures live in conftest.py)."""

import torch

# Where the state-carry tests cut T=37: inside the second chunk of 16, so the
# two calls chunk the sequence differently from one call.
SPLIT = 20

# Error budget against the float64 reference on the same (rounded) inputs. The
# output is computed in float32 and rounded once to the input dtype, whose unit
# roundoff u is 2^-8 (bfloat16) or 2^-11 (float16): allow 2u relative error.
# A computation in the half dtype itself would miss this budget.
OUTPUT_TOLERANCE = {torch.bfloat16: dict(rtol=2**-7, atol=1e-5), torch.float16: dict(rtol=2**-10, atol=1e-5)}
STATE_TOLERANCE = dict(rtol=1e-5, atol=1e-6)  # float32 accumulation


def loss_weights(tensors: list, seed: int = 1) -> list:
    """Fixed random float64 weights, one per tensor: the loss is sum(w * x) over all of them."""
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(x.shape, generator=generator, dtype=torch.float64) for x in tensors]


def results_and_gradients(run, case, inputs: dict) -> list:
    """[output, *final state parts, *gradients of every tensor input] of run(**inputs, output_final_state=True)
    in float64, for a weighted-sum loss over the output and the final state."""
    output, state = run(**inputs, output_final_state=True)
    results = [output, *case.flatten(state)]
    loss = sum((w * x.double()).sum() for w, x in zip(loss_weights(results), results))
    gradients = torch.autograd.grad(loss, case.tensors_of(inputs))
    return [x.detach().double() for x in (*results, *gradients)]


def compare_to_naive(run, case, inputs: dict, tolerance) -> None:
    """run (called like the op) against the op's float64 naive form on the same inputs: output, final state and
    every input's gradient; `tolerance(expected)` -> assert_close kwargs."""
    actual = results_and_gradients(run, case, inputs)
    reference_inputs = case.with_tensors(
        inputs, [x.detach().double().requires_grad_() for x in case.tensors_of(inputs)]
    )
    expected = results_and_gradients(case.interface.form("naive"), case, reference_inputs)
    names = case.state_names + [f"grad {name}" for name, _ in case.named_tensors(inputs)]
    assert len(actual) == len(expected) == len(names)
    for a, e, name in zip(actual, expected, names):
        torch.testing.assert_close(a, e, **tolerance(e), msg=lambda message: f"{name}: {message}")


def assert_all_close(actual: list, expected: list, names: list) -> None:
    """Pairwise torch.testing.assert_close; a failure names the mismatching tensor."""
    assert len(actual) == len(expected) == len(names)
    for a, e, name in zip(actual, expected, names):
        torch.testing.assert_close(a, e, msg=lambda message: f"{name}: {message}")
