"""Half-precision inputs are computed in float32: output in the input dtype, state in float32."""

import pytest
import torch

from kernel_helpers import OUTPUT_TOLERANCE, STATE_TOLERANCE


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_inputs(op_case, dtype):
    inputs = op_case.make_inputs(with_state=True, dtype=dtype)
    output, state = op_case.run_fast(inputs, output_final_state=True, chunk_size=16)
    assert output.dtype == dtype
    assert all(x.dtype == torch.float32 for x in op_case.flatten(state))

    exact_inputs = op_case.with_tensors(inputs, [x.double() for x in op_case.tensors_of(inputs)])
    exact_output, exact_state = op_case.run_step_loop(exact_inputs, output_final_state=True)
    torch.testing.assert_close(output.double(), exact_output, **OUTPUT_TOLERANCE[dtype])
    for part, exact_part in zip(op_case.flatten(state), op_case.flatten(exact_state), strict=True):
        torch.testing.assert_close(part.double(), exact_part, **STATE_TOLERANCE)

    output.float().square().sum().backward()
    assert all(x.grad.dtype == x.dtype and torch.isfinite(x.grad).all() for x in op_case.tensors_of(inputs))
