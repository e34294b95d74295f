"""Feeding one call's final state into the next continues the sequence exactly."""

import pytest
import torch

from kernel_helpers import SPLIT


def split_in_time(inputs: dict, step: int) -> tuple:
    """The inputs for steps [0, step) (with the initial state) and [step, T) (without)."""
    first, second = {}, {}
    for name, value in inputs.items():
        if name in ("q", "k", "v", "beta"):
            first[name], second[name] = value[:, :step], value[:, step:]
        elif name == "initial_state":
            first[name] = value
        else:
            first[name] = second[name] = value
    return first, second


@pytest.mark.parametrize("implementation", ["chunked", "step_loop"])
def test_two_calls_equal_one_call(op_case, implementation):
    run = op_case.run_fast if implementation == "chunked" else op_case.run_step_loop
    options = {"chunk_size": 16} if implementation == "chunked" else {}
    inputs = op_case.make_inputs(with_state=True)
    whole_output, whole_state = run(inputs, output_final_state=True, **options)

    first, second = split_in_time(inputs, SPLIT)
    first_output, carried_state = run(first, output_final_state=True, **options)
    second_output, final_state = run({**second, "initial_state": carried_state}, output_final_state=True, **options)

    torch.testing.assert_close(torch.cat([first_output, second_output], dim=1), whole_output)
    for split_part, whole_part in zip(op_case.flatten(final_state), op_case.flatten(whole_state), strict=True):
        torch.testing.assert_close(split_part, whole_part)
