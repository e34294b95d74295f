"""The chunkwise ("torch" backend) forms agree with the step-by-step references."""

import pytest
import torch

from kernel_helpers import assert_all_close

# (output, final state) flattened: the output, W and, for normalised linear attention, z.
RESULT_NAMES = ["output", "final W", "final z"]


@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "initial-state"])
@pytest.mark.parametrize("key_dim,value_dim", [(8, 8), (12, 6)], ids=["Dk=Dv", "Dk!=Dv"])
def test_outputs_states_and_gradients_match_step_loop(op_case, with_state, key_dim, value_dim):
    """float64, T=37 with chunks of 16 (two full chunks and a padded one)."""
    inputs = op_case.make_inputs(key_dim=key_dim, dim=value_dim, with_state=with_state)
    chunked = op_case.flatten(*op_case.run_fast(inputs, output_final_state=True, chunk_size=16))
    stepped = op_case.flatten(*op_case.run_step_loop(inputs, output_final_state=True))
    result_names = RESULT_NAMES[: len(stepped)]
    assert all(x.dtype == torch.float64 for x in chunked)
    assert_all_close(chunked, stepped, result_names)

    leaf_names, leaves = zip(*op_case.named_tensors(inputs))
    generator = torch.Generator().manual_seed(1)
    upstream = [torch.randn(x.shape, generator=generator, dtype=x.dtype) for x in stepped]
    chunked_grads = torch.autograd.grad(chunked, leaves, upstream)
    stepped_grads = torch.autograd.grad(stepped, leaves, upstream)
    assert_all_close(chunked_grads, stepped_grads, [f"gradient of {name}" for name in leaf_names])


@pytest.mark.parametrize("chunk_size", [1, 37, 64])
def test_chunk_size_extremes(op_case, chunk_size):
    """One step per chunk, exactly one chunk (T=37), and a chunk longer than the sequence."""
    inputs = op_case.make_inputs(with_state=True)
    chunked = op_case.flatten(*op_case.run_fast(inputs, output_final_state=True, chunk_size=chunk_size))
    stepped = op_case.flatten(*op_case.run_step_loop(inputs, output_final_state=True))
    assert_all_close(chunked, stepped, RESULT_NAMES[: len(stepped)])


def test_final_state_only_when_asked(op_case):
    inputs = op_case.make_inputs(seq_len=5)
    assert op_case.run_fast(inputs)[1] is None
    assert op_case.run_step_loop(inputs)[1] is None
