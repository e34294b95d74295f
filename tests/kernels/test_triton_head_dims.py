"""Every Triton op at every kind of head dim, under the Triton interpreter: powers of two from 16 to 128
and dims the kernels pad to a whole tile (8, 48, 96; Dk != Dv where the op allows it), against the
float64 naive form on the same inputs: outputs, final states and the gradients of every input.

T = 5 and one head keep the D = 128 tiles affordable in the interpreter; the chunkwise ops get
chunk_size 16, so T = 20 crosses a chunk boundary for them.
"""

from functools import partial

import pytest
import torch

import fwp_kernels
from conftest import OP_CASE_IDS, OP_CASES, RECURRENT_CASES
from kernel_helpers import compare_to_naive

# (D, Dk): D the value dim (the only dim of the Delta LSTM and RDN), Dk the key dim (linear attention,
# delta rule, Delta RNN).
HEAD_DIMS = [(16, 16), (32, 32), (48, 48), (64, 64), (128, 128), (8, 8), (96, 48), (48, 128)]
ONE_HEAD_DIM = ("delta_lstm", "recurrent_delta_rule")  # ops whose keys and values share D
CASES = [
    pytest.param(case, dim, key_dim, id=f"{case_id}-D={dim},Dk={key_dim}")
    for case, case_id in zip(OP_CASES + RECURRENT_CASES, OP_CASE_IDS + [case.name for case in RECURRENT_CASES])
    for dim, key_dim in HEAD_DIMS
    if key_dim == dim or case.name not in ONE_HEAD_DIM
]
TOLERANCE = dict(rtol=1e-4, atol=1e-5)  # float32 kernels against the float64 reference


def triton_op(case, **options):
    """The public op with the triton backend, called like the op (chunk_size only for the chunkwise ops)."""
    if case.chunked:
        options.setdefault("chunk_size", 16)
    return partial(getattr(fwp_kernels, case.name), backend="triton", **options)


@pytest.mark.parametrize("case,dim,key_dim", CASES)
def test_matches_the_naive_form(case, dim, key_dim):
    seq_len = 20 if case.chunked else 5
    inputs = case.make_inputs(
        batch=1, seq_len=seq_len, heads=1, dim=dim, key_dim=key_dim, with_state=True, dtype=torch.float32
    )
    compare_to_naive(triton_op(case), case, inputs, lambda expected: TOLERANCE)


@pytest.mark.parametrize("case", OP_CASES, ids=OP_CASE_IDS)
def test_a_large_head_dim_runs_shorter_chunks(case):
    """At D = 128 the chunkwise kernels run chunks of 32 steps whatever chunk_size asks (LONGEST_CHUNK: what
    fits a GPU's shared memory); the result is the naive form's."""
    from fwp_kernels.ops.common.triton_chunk import kernel_chunk_size

    assert kernel_chunk_size(64, 128, 128) == 32 and kernel_chunk_size(64, 64, 96) == 32
    assert kernel_chunk_size(128, 64, 64) == 64 and kernel_chunk_size(16, 128, 128) == 16
    inputs = case.make_inputs(batch=1, seq_len=40, heads=1, dim=128, key_dim=128, with_state=True, dtype=torch.float32)
    compare_to_naive(triton_op(case, chunk_size=64), case, inputs, lambda expected: TOLERANCE)
