"""torch.autograd.gradcheck on the chunkwise forms (float64, tiny sizes)."""

import torch


def test_gradcheck_chunkwise(op_case):
    """B=1, T=5, H=1, Dk=3, Dv=2, chunks of 2: a padded last chunk and an initial state."""
    inputs = op_case.make_inputs(batch=1, seq_len=5, heads=1, key_dim=3, dim=2, with_state=True)

    def run(*tensors):
        replaced_inputs = op_case.with_tensors(inputs, tensors)
        output, state = op_case.run_fast(replaced_inputs, output_final_state=True, chunk_size=2)
        return (output, *op_case.flatten(state))

    assert torch.autograd.gradcheck(run, tuple(op_case.tensors_of(inputs)))
