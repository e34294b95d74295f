"""Every Triton op at every kind of head dim, under the Triton interpreter: powers of two from 16 to 128
and dims the kernels pad to a whole tile (8, 48, 96; Dk != Dv where the op allows it), against the
float64 naive form on the same inputs: outputs, final states and the gradients of every input.

T = 5 and one head keep the D = 128 tiles affordable in the interpreter; the chunkwise ops get
chunk_size 16, so T = 20 crosses a chunk boundary for them.
"""

import pytest
import torch

from conftest import RECURRENT_CASES, OP_CASES, OP_CASE_IDS

# (D, Dk): D the value dim (the only dim of the Delta LSTM and RDN), Dk the key dim (linear attention,
# delta rule, Delta RNN).
HEAD_DIMS = [(16, 16), (32, 32), (48, 48), (64, 64), (128, 128), (8, 8), (96, 48), (48, 128)]
CASES = OP_CASES + RECURRENT_CASES
CASE_IDS = OP_CASE_IDS + [case.name for case in RECURRENT_CASES]
TOLERANCE = dict(rtol=1e-4, atol=1e-5)  # float32 kernels against the float64 reference


def results_and_gradients(run, case, inputs: dict, **options) -> list:
    """[output, *final state parts, *gradients of every tensor input] in float64, for a fixed weighted-sum loss."""
    output, state = run(inputs, output_final_state=True, **options)
    results = [output, *case.flatten(state)]
    generator = torch.Generator().manual_seed(1)
    loss = sum((torch.randn(x.shape, generator=generator, dtype=torch.float64) * x.double()).sum() for x in results)
    gradients = torch.autograd.grad(loss, case.tensors_of(inputs))
    return [x.detach().double() for x in (*results, *gradients)]


@pytest.mark.parametrize("dim,key_dim", HEAD_DIMS, ids=[f"D={d},Dk={k}" for d, k in HEAD_DIMS])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_matches_the_naive_form(case, dim, key_dim):
    if case.name in ("delta_lstm", "recurrent_delta_rule") and key_dim != dim:
        pytest.skip("one head dim: Dk = D")
    seq_len = 20 if case.chunked else 5
    inputs = case.make_inputs(
        batch=1, seq_len=seq_len, heads=1, dim=dim, key_dim=key_dim, with_state=True, dtype=torch.float32
    )
    reference_inputs = case.with_tensors(
        inputs, [x.detach().double().requires_grad_() for x in case.tensors_of(inputs)]
    )
    actual = results_and_gradients(case.run_fast, case, inputs, backend="triton")
    expected = results_and_gradients(case.run_step_loop, case, reference_inputs)
    names = case.state_names + [f"grad {name}" for name, _ in case.named_tensors(inputs)]
    assert len(actual) == len(expected) == len(names)
    for a, e, name in zip(actual, expected, names):
        torch.testing.assert_close(a, e, **TOLERANCE, msg=lambda message: f"{name}: {message}")


@pytest.mark.parametrize("case", OP_CASES, ids=OP_CASE_IDS)
def test_a_large_head_dim_runs_shorter_chunks(case):
    """At D = 128 the chunkwise kernels run chunks of 32 steps whatever chunk_size asks (LONGEST_CHUNK: what
    fits a GPU's shared memory); the result is the naive form's."""
    from fwp_kernels.ops.common.triton_chunk import kernel_chunk_size

    assert kernel_chunk_size(64, 128, 128) == 32 and kernel_chunk_size(64, 64, 96) == 32
    assert kernel_chunk_size(128, 64, 64) == 64 and kernel_chunk_size(16, 128, 128) == 16
    inputs = case.make_inputs(batch=1, seq_len=40, heads=1, dim=128, key_dim=128, with_state=True, dtype=torch.float32)
    reference_inputs = case.with_tensors(
        inputs, [x.detach().double().requires_grad_() for x in case.tensors_of(inputs)]
    )
    actual = results_and_gradients(case.run_fast, case, inputs, backend="triton", chunk_size=64)
    expected = results_and_gradients(case.run_step_loop, case, reference_inputs)
    for a, e in zip(actual, expected):
        torch.testing.assert_close(a, e, **TOLERANCE)
