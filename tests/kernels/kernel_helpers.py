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


def assert_all_close(actual: list, expected: list, names: list) -> None:
    """Pairwise torch.testing.assert_close; a failure names the mismatching tensor."""
    assert len(actual) == len(expected) == len(names)
    for a, e, name in zip(actual, expected, names):
        torch.testing.assert_close(a, e, msg=lambda message: f"{name}: {message}")
