"""The Delta RNN, Delta LSTM and recurrent delta rule: fast forms against the step loops.

The fast form is the public op with the "torch" backend: chunkwise for the
Delta RNN and LSTM (chunks of 16 unless stated), a lean step loop for the
recurrent delta rule. All sizes are tiny; T=37 is two full chunks of 16 and a
padded one.
"""

import pytest
import torch

from kernel_helpers import OUTPUT_TOLERANCE, SPLIT, STATE_TOLERANCE, assert_all_close


@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "initial-state"])
def test_outputs_states_and_gradients_match_step_loop(recurrent_case, with_state):
    """float64: outputs, every part of the final state, and the gradient of every input."""
    case = recurrent_case
    inputs = case.make_inputs(with_state=with_state)
    fast = case.flatten(*case.run_fast(inputs, output_final_state=True))
    stepped = case.flatten(*case.run_step_loop(inputs, output_final_state=True))
    assert all(x.dtype == torch.float64 for x in fast)
    assert_all_close(fast, stepped, case.state_names)

    leaf_names, leaves = zip(*case.named_tensors(inputs))
    generator = torch.Generator().manual_seed(1)
    upstream = [torch.randn(x.shape, generator=generator, dtype=x.dtype) for x in stepped]
    fast_grads = torch.autograd.grad(fast, leaves, upstream)
    stepped_grads = torch.autograd.grad(stepped, leaves, upstream)
    assert all(grad.abs().sum() > 0 for grad in stepped_grads)  # every input matters
    assert_all_close(fast_grads, stepped_grads, [f"gradient of {name}" for name in leaf_names])


@pytest.mark.parametrize("chunk_size", [1, 37, 64])
def test_chunk_size_extremes(chunked_recurrent_case, chunk_size):
    """One step per chunk, exactly one chunk (T=37), and a chunk longer than the sequence."""
    case = chunked_recurrent_case
    inputs = case.make_inputs(with_state=True)
    fast = case.flatten(*case.run_fast(inputs, output_final_state=True, chunk_size=chunk_size))
    stepped = case.flatten(*case.run_step_loop(inputs, output_final_state=True))
    assert_all_close(fast, stepped, case.state_names)


def test_final_state_only_when_asked(recurrent_case):
    inputs = recurrent_case.make_inputs(seq_len=5)
    assert recurrent_case.run_fast(inputs)[1] is None
    assert recurrent_case.run_step_loop(inputs)[1] is None


@pytest.mark.parametrize("implementation", ["fast", "step_loop"])
def test_two_calls_equal_one_call(recurrent_case, implementation):
    """The final state fed as the next call's initial state continues the sequence exactly."""
    case = recurrent_case
    run = case.run_fast if implementation == "fast" else case.run_step_loop
    inputs = case.make_inputs(with_state=True)
    whole_output, whole_state = run(inputs, output_final_state=True)

    first = {name: x[:, :SPLIT] if name in case.sequence_inputs else x for name, x in inputs.items()}
    second = {name: x[:, SPLIT:] if name in case.sequence_inputs else x for name, x in inputs.items()}
    first_output, carried_state = run(first, output_final_state=True)
    second_output, final_state = run({**second, "initial_state": carried_state}, output_final_state=True)

    torch.testing.assert_close(torch.cat([first_output, second_output], dim=1), whole_output)
    assert_all_close(list(final_state), list(whole_state), case.state_names[1:])


def test_gradcheck(recurrent_case):
    """B=1, T=5, H=1, D=2 (Dk=3 for the Delta RNN), chunks of 2: a padded last chunk and an initial state."""
    case = recurrent_case
    inputs = case.make_inputs(batch=1, seq_len=5, heads=1, dim=2, key_dim=3, with_state=True)

    def run(*tensors):
        output, state = case.run_fast(case.with_tensors(inputs, tensors), output_final_state=True, chunk_size=2)
        return (output, *state)

    assert torch.autograd.gradcheck(run, tuple(case.tensors_of(inputs)))


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bfloat16", "float16"])
def test_half_precision_inputs(recurrent_case, dtype):
    """Output in the input dtype, state in float32, both close to float64 on the same rounded inputs."""
    case = recurrent_case
    inputs = case.make_inputs(with_state=True, dtype=dtype)
    output, state = case.run_fast(inputs, output_final_state=True)
    assert output.dtype == dtype
    assert all(x.dtype == torch.float32 for x in state)

    exact_inputs = case.with_tensors(inputs, [x.double() for x in case.tensors_of(inputs)])
    exact_output, exact_state = case.run_step_loop(exact_inputs, output_final_state=True)
    torch.testing.assert_close(output.double(), exact_output, **OUTPUT_TOLERANCE[dtype])
    for part, exact_part in zip(state, exact_state, strict=True):
        torch.testing.assert_close(part.double(), exact_part, **STATE_TOLERANCE)

    output.float().square().sum().backward()
    assert all(x.grad.dtype == x.dtype and torch.isfinite(x.grad).all() for x in case.tensors_of(inputs))



def delta_step(weights: torch.Tensor, k: torch.Tensor, v: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """W + beta (v - W k) k^T for one matrix W: [Dv, Dk]."""
    return weights + beta * torch.outer(v - weights @ k, k)


def first_output_by_hand(case, inputs: dict) -> torch.Tensor:
    """y_1 (h_1 for the LSTM): [D], the op's equations with plain matrices, for B = H = 1."""
    x = {name: inputs[name][0, 0, 0] for name in case.sequence_inputs}  # step 1 of batch element 0, head 0
    state = [part[0, 0] for part in inputs["initial_state"]]
    if case.name == "delta_rnn":
        weights, recurrent, y = state
        weights = delta_step(weights, x["k"], x["v"], x["beta"])
        recurrent = delta_step(recurrent, x["rk"], x["rv"], x["rbeta"])
        return weights @ x["q"] + recurrent @ torch.softmax(y, dim=-1)
    if case.name == "delta_lstm":
        weights, recurrent, h, c = state  # [3, D, D] with the gates (input, update, output)
        input_pre, update, output_pre = (
            delta_step(weights[g], x["k"][g], x["v"][g], x["beta"][g]) @ x["q"][g]
            + delta_step(recurrent[g], x["rk"][g], x["rv"][g], x["rbeta"][g]) @ torch.softmax(h, dim=-1)
            for g in range(3)
        )
        input_gate = torch.sigmoid(input_pre)
        return (input_gate * update + (1 - input_gate) * c) * torch.sigmoid(output_pre)
    weights, y = state
    a = torch.tanh(y)
    Rq, Rk, Rv, rbeta = (inputs[name][0] for name in ("Rq", "Rk", "Rv", "rbeta"))  # of head 0
    q = torch.softmax(x["q"] + Rq @ a, dim=-1)
    k = torch.softmax(x["k"] + Rk @ a, dim=-1)
    v = x["v"] + Rv @ a
    beta = torch.sigmoid(x["beta"] + rbeta @ a)
    return delta_step(weights, k, v, beta) @ q


def test_first_step_follows_the_equations(recurrent_case):
    """One step from a given state on one batch element and head: checks the step loop (the oracle) itself."""
    inputs = recurrent_case.make_inputs(batch=1, seq_len=1, heads=1, with_state=True)
    expected = first_output_by_hand(recurrent_case, inputs)
    torch.testing.assert_close(recurrent_case.run_step_loop(inputs)[0][0, 0, 0], expected)
    torch.testing.assert_close(recurrent_case.run_fast(inputs)[0][0, 0, 0], expected)
