"""The Triton chunkwise kernels (linear attention, delta rule) and the token-by-token
delta rule, under the Triton interpreter on CPU tensors (conftest sets TRITON_INTERPRET=1),
against the step-loop references; and the backend dispatch.

The kernels are compared on inputs rounded to the tested dtype, with the
reference run in float64 on the same rounded values. Losses are fixed random
projections of the output and the final state, so every input, the initial
state included, gets a gradient through both.
"""

import os
import subprocess
import sys

import pytest
import torch

import fwp_kernels
from fwp_kernels.backend import select_implementation
from fwp_kernels.ops.delta_rnn.chunk import chunk_delta_rnn
from fwp_kernels.ops.linear_attention.chunk import chunk_linear_attention
from fwp_kernels.ops import OPS
from fwp_kernels.reference import naive_delta_rule

import triton  # noqa: F401  (a missing triton must fail these tests, not skip them: the Makefile installs it)
from fwp_kernels.ops.delta_rule.triton import triton_fused_delta_rule
from fwp_kernels.ops.linear_attention.triton import triton_chunk_linear_attention

# dtype -> (rtol, atol) for outputs, final states and gradients against the float64 reference.
# float32: the kernels compute in float32. Half dtypes: outputs and input gradients are rounded to
# the dtype (unit roundoff 2^-8 for bfloat16, 2^-11 for float16), and a gradient that adds several
# rounded parts (normalised linear attention's dk: numerator and normaliser) loses a few bits more.
TOLERANCES = {torch.float32: (1e-5, 1e-5), torch.float16: (2e-3, 2e-3), torch.bfloat16: (2e-2, 2e-2)}


def projection_loss(output, state, generator: torch.Generator) -> torch.Tensor:
    """sum(output * G) + sum(state * G') with fixed random G, G' (the same for kernel and reference)."""
    loss = 0.0
    for x in (output, *(state if isinstance(state, tuple) else (state,))):
        loss = loss + (x.double() * torch.randn(x.shape, generator=generator, dtype=torch.float64)).sum()
    return loss


def run_with_grads(run, case, inputs: dict, **options):
    """(output, final state, gradients of the tensor inputs) of `run(inputs)` with output_final_state=True."""
    output, state = run(inputs, output_final_state=True, **options)
    loss = projection_loss(output, state, torch.Generator().manual_seed(1))
    tensors = case.tensors_of(inputs)
    return output, state, torch.autograd.grad(loss, tensors)


def assert_close(name: str, actual: torch.Tensor, expected: torch.Tensor, dtype: torch.dtype) -> None:
    rtol, atol = TOLERANCES[dtype]
    torch.testing.assert_close(actual.double(), expected.double(), rtol=rtol, atol=atol, msg=lambda m: f"{name}: {m}")


def compare_to_step_loop(case, dtype, seq_len, with_state, chunk_size=16, key_dim=16, value_dim=16):
    inputs = case.make_inputs(
        batch=1, seq_len=seq_len, heads=2, key_dim=key_dim, dim=value_dim, with_state=with_state, dtype=dtype
    )
    reference_inputs = case.with_tensors(
        inputs, [x.detach().double().requires_grad_() for x in case.tensors_of(inputs)]
    )
    output, state, grads = run_with_grads(case.run_fast, case, inputs, backend="triton", chunk_size=chunk_size)
    expected_output, expected_state, expected_grads = run_with_grads(case.run_step_loop, case, reference_inputs)

    assert output.dtype == dtype and output.shape == expected_output.shape
    assert_close("output", output, expected_output, dtype)
    for index, (part, expected) in enumerate(zip(case.flatten(state), case.flatten(expected_state))):
        assert part.dtype == torch.float32
        assert_close(f"final state[{index}]", part, expected, dtype)
    for (name, tensor), grad, expected in zip(case.named_tensors(inputs), grads, expected_grads):
        assert grad.dtype == tensor.dtype
        assert_close(f"grad of {name}", grad, expected, dtype)


@pytest.mark.parametrize("with_state", [False, True], ids=["no initial state", "initial state"])
@pytest.mark.parametrize("seq_len", [20, 32, 5], ids=["T=20 (ragged)", "T=32 (two chunks)", "T=5 (< one chunk)"])
def test_matches_step_loop_float32(op_case, seq_len, with_state):
    compare_to_step_loop(op_case, torch.float32, seq_len, with_state)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=str)
def test_matches_step_loop_half(op_case, dtype):
    compare_to_step_loop(op_case, dtype, seq_len=20, with_state=True)


@pytest.mark.slow
@pytest.mark.parametrize("chunk_size", [16, 32])
def test_matches_step_loop_unequal_head_dims(op_case, chunk_size):
    compare_to_step_loop(op_case, torch.float32, seq_len=40, with_state=True, chunk_size=chunk_size, value_dim=32)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=str)
@pytest.mark.parametrize("with_state", [False, True], ids=["no initial state", "initial state"])
def test_token_by_token_matches_step_loop(with_state, dtype):
    """Without grad, a sequence shorter than a chunk runs the token-by-token kernel."""
    generator = torch.Generator().manual_seed(0)
    q, k = torch.softmax(torch.randn(2, 2, 6, 2, 16, generator=generator), dim=-1).to(dtype)
    v = torch.randn(2, 6, 2, 32, generator=generator).to(dtype)
    beta = torch.rand(2, 6, 2, generator=generator).to(dtype)
    initial_state = torch.randn(2, 2, 32, 16, generator=generator) if with_state else None
    with torch.no_grad():
        output, state = fwp_kernels.delta_rule(
            q, k, v, beta, initial_state=initial_state, output_final_state=True, backend="triton", chunk_size=16
        )
        direct_output, direct_state = triton_fused_delta_rule(
            q, k, v, beta, initial_state=initial_state, output_final_state=True
        )
        expected_output, expected_state = naive_delta_rule(
            q.double(), k.double(), v.double(), beta.double(),
            initial_state=initial_state.double() if with_state else None, output_final_state=True,
        )
    assert torch.equal(output, direct_output) and torch.equal(state, direct_state)
    assert output.dtype == dtype and state.dtype == torch.float32
    assert_close("output", output, expected_output, dtype)
    assert_close("final state", state, expected_state, dtype)


def test_token_by_token_refuses_inputs_that_require_grad():
    q, k = torch.rand(2, 1, 3, 2, 16)
    v = torch.randn(1, 3, 2, 16, requires_grad=True)
    with pytest.raises(RuntimeError, match="token-by-token triton delta rule has no backward"):
        triton_fused_delta_rule(q, k, v, torch.rand(1, 3, 2))


def test_short_sequence_with_grad_takes_the_chunkwise_form():
    """With grad, the public op runs the chunkwise kernels (padded) instead of refusing."""
    q, k = torch.rand(2, 1, 3, 2, 16)
    v = torch.randn(1, 3, 2, 16, requires_grad=True)
    output, _ = fwp_kernels.delta_rule(q, k, v, torch.rand(1, 3, 2), backend="triton", chunk_size=16)
    output.sum().backward()
    assert v.grad is not None and v.grad.shape == v.shape


# --- dispatch ---------------------------------------------------------------------------------


def test_cpu_use_does_not_import_triton():
    """Importing kernels and running (and differentiating) the ops on CPU with "auto" never imports triton."""
    script = (
        "import sys, torch, fwp_kernels\n"
        "q, k, v = torch.rand(3, 1, 20, 2, 16, requires_grad=True)\n"
        "fwp_kernels.delta_rule(q, k, v, torch.rand(1, 20, 2))[0].sum().backward()\n"
        "assert 'triton' not in sys.modules, 'triton was imported'\n"
    )
    environment = {name: value for name, value in os.environ.items() if name != "FWP_BACKEND"}
    result = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_auto_on_cpu_runs_torch(monkeypatch):
    monkeypatch.delenv("FWP_BACKEND", raising=False)
    assert select_implementation("linear_attention", "auto", torch.device("cpu")) is chunk_linear_attention


def test_auto_on_cuda_runs_triton_where_it_exists(monkeypatch):
    """Selection only (no CUDA tensor needed): triton for ops that have it and the dtypes and head
    dims it takes, torch for float64, larger head dims and ops without a Triton implementation."""
    monkeypatch.delenv("FWP_BACKEND", raising=False)
    cuda = torch.device("cuda")
    assert select_implementation("linear_attention", "auto", cuda) is triton_chunk_linear_attention
    assert select_implementation("linear_attention", "auto", cuda, torch.float64) is chunk_linear_attention
    assert select_implementation("linear_attention", "auto", cuda, torch.bfloat16, (64, 64, 64)) is (
        triton_chunk_linear_attention
    )
    # Every head dim up to 128 runs in Triton (padded to a whole tile); larger ones go to torch.
    for head_dims in [(128, 128, 128), (48, 48, 48), (8, 8, 96)]:
        assert select_implementation("linear_attention", "auto", cuda, torch.float32, head_dims) is (
            triton_chunk_linear_attention
        )
    for head_dims in [(256, 256, 256), (16, 16, 160)]:
        assert select_implementation("linear_attention", "auto", cuda, torch.float32, head_dims) is (
            chunk_linear_attention
        )
    monkeypatch.delitem(OPS["delta_rnn"].forms, "triton")
    assert select_implementation("delta_rnn", "auto", cuda) is chunk_delta_rnn


def test_environment_selects_triton(monkeypatch):
    monkeypatch.setenv("FWP_BACKEND", "triton")
    assert select_implementation("linear_attention", "auto", torch.device("cpu")) is triton_chunk_linear_attention
    q, k = torch.rand(2, 1, 20, 2, 16)
    v = torch.randn(1, 20, 2, 16)
    output, _ = fwp_kernels.linear_attention(q, k, v, chunk_size=16)
    expected, _ = fwp_kernels.linear_attention(q, k, v, chunk_size=16, backend="torch")
    torch.testing.assert_close(output, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("source", ["argument", "environment"])
def test_triton_for_an_op_without_it_names_the_op(monkeypatch, source):
    monkeypatch.delitem(OPS["delta_lstm"].forms, "triton")
    monkeypatch.setenv("FWP_BACKEND", "triton" if source == "environment" else "torch")
    with pytest.raises(ValueError, match="op 'delta_lstm' has no triton implementation yet"):
        select_implementation("delta_lstm", "triton" if source == "argument" else "auto", torch.device("cpu"))


def test_triton_on_cpu_without_the_interpreter(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET")
    with pytest.raises(RuntimeError, match="set TRITON_INTERPRET=1"):
        select_implementation("delta_rule", "triton", torch.device("cpu"))


def test_triton_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "triton", None)  # makes `import triton` raise ImportError
    with pytest.raises(RuntimeError, match="pip install triton"):
        select_implementation("delta_rule", "triton", torch.device("cuda"))


@pytest.mark.parametrize("key_dim,value_dim", [(16, 136), (192, 64)])
def test_head_dim_above_the_maximum_is_refused(key_dim, value_dim):
    q, k = torch.rand(2, 1, 20, 2, key_dim)
    with pytest.raises(ValueError, match=r"takes head dims up to 128; got .* backend=.torch."):
        fwp_kernels.delta_rule(q, k, torch.randn(1, 20, 2, value_dim), torch.rand(1, 20, 2), backend="triton")


def test_unsupported_chunk_size():
    q, k = torch.rand(2, 1, 20, 2, 16)
    with pytest.raises(ValueError, match=r"supports chunk_size in \(16, 32, 64, 128\); got 20"):
        fwp_kernels.linear_attention(q, k, torch.randn(1, 20, 2, 16), backend="triton", chunk_size=20)


@pytest.mark.parametrize("chunk_size,key_dim,value_dim", [(16, 16, 32), (32, 64, 16)])
def test_wy_kernels_match_the_triangular_solve(chunk_size, key_dim, value_dim):
    """The Triton WY factors (forward substitution in a kernel) and their gradients against the float64
    triangular solve of the PyTorch form, on chunks whose last rows are zero (a ragged last chunk)."""
    from fwp_kernels.interface import phi
    from fwp_kernels.ops.delta_rule.chunk import wy_representation
    from fwp_kernels.ops.delta_rule.triton_wy import triton_wy_representation

    generator = torch.Generator().manual_seed(0)
    shape = (1, 2, 3, chunk_size)
    k = phi(torch.randn(*shape, key_dim, generator=generator, dtype=torch.float64))
    v = torch.randn(*shape, value_dim, generator=generator, dtype=torch.float64)
    beta = torch.sigmoid(torch.randn(*shape, generator=generator, dtype=torch.float64))
    for x in (k, v, beta):
        x[:, :, -1, chunk_size - 5:] = 0  # the zero padding of a ragged last chunk
    kernel_inputs = [x.float().requires_grad_() for x in (k, v, beta)]
    reference_inputs = [x.clone().requires_grad_() for x in (k, v, beta)]
    factors = triton_wy_representation(*kernel_inputs, torch.float32)
    expected = wy_representation(*reference_inputs)
    weights = [torch.randn(x.shape, generator=generator, dtype=torch.float64) for x in expected]
    sum((w * x.double()).sum() for w, x in zip(weights, factors)).backward()
    sum((w * x).sum() for w, x in zip(weights, expected)).backward()
    for name, actual, wanted in zip(("W", "U"), factors, expected):
        torch.testing.assert_close(actual.double(), wanted, rtol=1e-5, atol=1e-5, msg=lambda m: f"{name}: {m}")
        assert actual[:, :, -1, chunk_size - 5:].abs().max() == 0
    for name, kernel_input, reference_input in zip(("k", "v", "beta"), kernel_inputs, reference_inputs):
        torch.testing.assert_close(kernel_input.grad.double(), reference_input.grad, rtol=1e-5, atol=1e-5,
                                   msg=lambda m: f"grad {name}: {m}")
