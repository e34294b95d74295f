"""The fused recurrent Triton kernels against the step-loop references, under the Triton interpreter.

Every test runs the kernels on CPU (TRITON_INTERPRET=1, set before triton is
imported), so the shapes are tiny. The references run in float64 on the same
(rounded) inputs; the kernels accumulate in float32.
"""

import os

os.environ["TRITON_INTERPRET"] = "1"

import pytest  # noqa: E402
import torch  # noqa: E402

from functools import partial  # noqa: E402

import fwp_kernels  # noqa: E402
from fwp_kernels.ops.common.triton_recurrent import num_warps_for  # noqa: E402
from fwp_kernels.ops.delta_rnn.triton import triton_fused_delta_rnn  # noqa: E402
from kernel_helpers import compare_to_naive  # noqa: E402

# The public ops with the triton backend: the kernels reached through the dispatch table.
TRITON_OPS = {
    name: partial(getattr(fwp_kernels, name), backend="triton")
    for name in ("delta_rnn", "delta_lstm", "recurrent_delta_rule")
}

# float32 kernels vs the float64 reference: float32 rounding grown over T steps.
FLOAT32_TOLERANCE = dict(rtol=1e-4, atol=1e-5)
# Half-precision inputs: outputs and gradients are rounded to the input dtype (unit
# roundoff u = 2^-8 for bfloat16, 2^-11 for float16) once; allow 2u, relative to each
# tensor's largest entry for its small entries.
HALF_RTOL = {torch.bfloat16: 2**-7, torch.float16: 2**-10}
# The reverse-reconstruction test: the longest T the interpreter runs in a few seconds,
# and its tolerance (float32 rounding of T rank-one updates and their undoing).
LONG_SEQUENCE = 64
LONG_TOLERANCE = dict(rtol=1e-4, atol=1e-5)


def compare(case, inputs: dict, tolerance) -> None:
    """The triton op vs the float64 step loop on the same inputs; `tolerance(expected)` -> assert_close kwargs."""
    compare_to_naive(TRITON_OPS[case.name], case, inputs, tolerance)


def tiny_inputs(case, dtype: torch.dtype, with_state: bool, seq_len: int = 13, seed: int = 0) -> dict:
    """B=1, H=2, D=16 (Dk=32 for the Delta RNN, whose W is not square); T=13 is prime."""
    return case.make_inputs(
        batch=1, seq_len=seq_len, heads=2, dim=16, key_dim=32, with_state=with_state, dtype=dtype, seed=seed
    )


@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "initial_state"])
def test_float32_matches_step_loop(recurrent_case, with_state):
    inputs = tiny_inputs(recurrent_case, torch.float32, with_state)
    compare(recurrent_case, inputs, lambda expected: FLOAT32_TOLERANCE)


@pytest.mark.parametrize("dim", [32, 64])
def test_larger_head_dims(recurrent_case, dim):
    """D = 32, 64 (Dk = 16 for the Delta RNN), a short sequence from an initial state."""
    inputs = recurrent_case.make_inputs(
        batch=1, seq_len=5, heads=1, dim=dim, key_dim=16, with_state=True, dtype=torch.float32
    )
    compare(recurrent_case, inputs, lambda expected: FLOAT32_TOLERANCE)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bfloat16", "float16"])
@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "initial_state"])
def test_half_precision_matches_step_loop(recurrent_case, with_state, dtype):
    inputs = tiny_inputs(recurrent_case, dtype, with_state)
    rtol = HALF_RTOL[dtype]
    compare(recurrent_case, inputs, lambda expected: dict(rtol=rtol, atol=rtol * expected.abs().max().item()))
    output, state = TRITON_OPS[recurrent_case.name](**inputs, output_final_state=True)
    assert output.dtype == dtype
    assert all(part.dtype == torch.float32 for part in state)


def test_state_carries_over_calls(recurrent_case):
    """Two calls, the second from the first's final state, give the output and final state of one call."""
    inputs = tiny_inputs(recurrent_case, torch.float32, with_state=True)
    run = TRITON_OPS[recurrent_case.name]
    split = 5
    first = {name: x[:, :split] if name in recurrent_case.sequence_inputs else x for name, x in inputs.items()}
    second = {name: x[:, split:] if name in recurrent_case.sequence_inputs else x for name, x in inputs.items()}
    output_first, state = run(**first, output_final_state=True)
    second["initial_state"] = state
    output_second, final_state = run(**second, output_final_state=True)
    output, expected_state = run(**inputs, output_final_state=True)
    torch.testing.assert_close(torch.cat([output_first, output_second], dim=1), output)
    for part, expected in zip(final_state, expected_state):
        torch.testing.assert_close(part, expected)
    assert run(**inputs)[1] is None


def saturated_inputs(case, seq_len: int) -> dict:
    """Inputs where each delta rule step nearly or exactly erases the value stored under its key.

    Delta RNN / LSTM: beta = rbeta = 1 and unit keys (beta ||k||^2 = 1, where undoing a step by
    inverting (I - beta k k^T) would divide by zero); recurrent keys near one-hot. RDN: beta'
    near 1 and near one-hot keys k' (large pre-activations).
    """
    inputs = tiny_inputs(case, torch.float32, with_state=True, seq_len=seq_len, seed=2)
    inputs = case.with_tensors(inputs, [x.detach() for x in case.tensors_of(inputs)])
    if case.name == "recurrent_delta_rule":
        inputs["beta"] = inputs["beta"] + 6.0
        inputs["k"] = 8.0 * inputs["k"]
    else:
        inputs["k"] = torch.nn.functional.normalize(inputs["v"].double().sin() + 0.1, dim=-1).float()
        if case.name == "delta_rnn":  # q, k: [.., Dk=32] vs v: [.., D=16]
            inputs["k"] = torch.nn.functional.normalize(torch.cat([inputs["k"], inputs["v"]], dim=-1), dim=-1)
        inputs["beta"] = torch.ones_like(inputs["beta"])
        inputs["rbeta"] = torch.ones_like(inputs["rbeta"])
        inputs["rk"] = torch.softmax(8.0 * inputs["rv"], dim=-1)
    return case.with_tensors(inputs, [x.requires_grad_() for x in case.tensors_of(inputs)])


def test_reverse_reconstruction_over_a_long_sequence(recurrent_case):
    """The backward pass recovers W_{t-1} from W_t for t = T..1: the gradients of the initial state
    (which need W_0 recovered through every step) and of all inputs stay accurate over a long sequence."""
    compare(recurrent_case, saturated_inputs(recurrent_case, LONG_SEQUENCE), lambda expected: LONG_TOLERANCE)


def test_head_dim_above_the_maximum_is_refused(recurrent_case):
    inputs = recurrent_case.make_inputs(batch=1, seq_len=3, heads=1, dim=136, key_dim=16, dtype=torch.float32)
    with pytest.raises(ValueError, match="head dimensions up to 128, got D=136 .*backend='torch'"):
        TRITON_OPS[recurrent_case.name](**inputs)


def test_key_dim_above_the_maximum_is_refused():
    keys, values, betas = torch.zeros(1, 3, 1, 144), torch.zeros(1, 3, 1, 16), torch.zeros(1, 3, 1)
    with pytest.raises(ValueError, match="got Dk=144"):
        triton_fused_delta_rnn(keys, keys, values, betas, values, values, betas)


def test_float64_is_refused(recurrent_case):
    inputs = recurrent_case.make_inputs(batch=1, seq_len=3, heads=1, dim=16, key_dim=16, dtype=torch.float64)
    with pytest.raises(TypeError, match="float64"):
        TRITON_OPS[recurrent_case.name](**inputs)


def test_state_tiles_are_spread_over_warps():
    """At most STATE_VALUES_PER_THREAD float32 state values per thread, within 4..32 warps."""
    assert num_warps_for(2 * 16 * 16) == 4  # the Delta RNN at D = 16: the minimum
    assert num_warps_for(2 * 64 * 64) == 4  # 8192 values over 128 threads: 64 each
    assert num_warps_for(2 * 128 * 128) == 16  # 32768 values over 512 threads
    assert num_warps_for(12 * 128 * 128) == 32  # the Delta LSTM backward at D = 128: the most one program has
