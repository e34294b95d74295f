"""The agent's cores: a whole unroll (with episode starts inside) equals step-by-step execution,
unrolls chain through the carried state, resets isolate episodes, and no gradient crosses a reset."""

import pytest
import torch

from fwp_plugin.rl.cores import CORES, FAST_WEIGHT_CORES, build_core

INPUT_DIM = 6
BATCH, LENGTH = 3, 9
RECURRENT_CORES = [core for core in CORES if core != "feedforward"]


def tiny_core(name):
    torch.manual_seed(0)
    core = build_core(name, INPUT_DIM, dim=16, heads=2, ffn_dim=24, layers=2, lstm_dim=16).double()
    return core.eval()


def inputs(seed=1):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(BATCH, LENGTH, INPUT_DIM, generator=generator, dtype=torch.float64)
    # Episodes start at t=0 for row 0, mid-unroll for rows 1 and 2 (twice for row 2), never for the rest.
    starts = torch.zeros(BATCH, LENGTH, dtype=torch.bool)
    starts[0, 0] = starts[1, 4] = starts[2, 2] = starts[2, 6] = True
    return x, starts


def random_state(core, seed=2):
    generator = torch.Generator().manual_seed(seed)
    return 0.3 * torch.randn(BATCH, core.state_size, generator=generator, dtype=torch.float64)


@pytest.mark.parametrize("name", CORES)
def test_unroll_equals_step_by_step(name):
    core = tiny_core(name)
    x, starts = inputs()
    state = random_state(core)
    unrolled, final = core(x, state, starts)
    outputs, step_state = [], state
    for t in range(LENGTH):
        y, step_state = core(x[:, t : t + 1], step_state, starts[:, t : t + 1])
        outputs.append(y)
    torch.testing.assert_close(unrolled, torch.cat(outputs, dim=1), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(final, step_state, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", RECURRENT_CORES)
def test_two_unrolls_carry_the_state(name):
    core = tiny_core(name)
    x, starts = inputs()
    state = random_state(core)
    whole, whole_final = core(x, state, starts)
    first, carried = core(x[:, :5], state, starts[:, :5])
    second, final = core(x[:, 5:], carried, starts[:, 5:])
    torch.testing.assert_close(whole, torch.cat([first, second], dim=1), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(whole_final, final, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", RECURRENT_CORES)
def test_reset_starts_afresh_and_leaves_other_rows_alone(name):
    core = tiny_core(name)
    x, starts = inputs()
    state = random_state(core)
    outputs, _ = core(x, state, starts)
    no_starts = torch.zeros_like(starts)
    # Row 1 restarts at t=4: from there it is a fresh run (zero state) on the rest of its inputs.
    fresh, _ = core(x[1:2, 4:], torch.zeros_like(state[1:2]), no_starts[1:2, 4:])
    torch.testing.assert_close(outputs[1:2, 4:], fresh, rtol=1e-10, atol=1e-10)
    # Before its restart, row 1 continues its given state; rows without starts are untouched by others'.
    before, _ = core(x[1:2, :4], state[1:2], no_starts[1:2, :4])
    torch.testing.assert_close(outputs[1:2, :4], before, rtol=1e-10, atol=1e-10)
    alone, _ = core(x, state, no_starts)
    torch.testing.assert_close(outputs[1:2, :4], alone[1:2, :4], rtol=1e-10, atol=1e-10)
    # A row never reset computes the same whatever the other rows do.
    solo, _ = core(x[1:2], state[1:2], no_starts[1:2])
    torch.testing.assert_close(alone[1:2], solo, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", RECURRENT_CORES)
def test_no_gradient_crosses_a_reset(name):
    core = tiny_core(name)
    x, starts = inputs()
    x.requires_grad_(True)
    state = random_state(core).requires_grad_(True)
    outputs, _ = core(x, state, starts)
    outputs[1, 4:].sum().backward()  # row 1 starts a new episode at t=4
    assert x.grad[1, :4].abs().max() == 0
    assert state.grad[1].abs().max() == 0
    assert x.grad[1, 4:].abs().max() > 0
    assert x.grad[[0, 2]].abs().max() == 0


@pytest.mark.parametrize("name", FAST_WEIGHT_CORES)
def test_fast_weight_state_is_the_fast_weights(name):
    core = tiny_core(name)
    per_layer = {"linear_transformer": 2 * 8 * 8, "delta_net": 2 * 8 * 8, "delta_rnn": 2 * (2 * 8 * 8 + 8),
                 "delta_lstm": 2 * (2 * 3 * 8 * 8 + 2 * 8), "rdn": 2 * (8 * 8 + 8)}
    assert core.state_size == 2 * per_layer[name]  # two layers of two heads of 8


def test_unknown_core_names_the_choices():
    with pytest.raises(ValueError, match="unknown core 'gru'.*lstm"):
        build_core("gru", INPUT_DIM)


def test_head_count_must_divide_the_size():
    with pytest.raises(ValueError, match="--core-dim 30 is not divisible by --core-heads 4"):
        build_core("delta_net", INPUT_DIM, dim=30, heads=4)


def test_softmax_attention_refuses_a_reset_mask():
    from fwp_plugin.modules import build_fast_weight_sublayer
    from fwp_plugin.rl.cores import fast_weight_blocks_config

    cfg = fast_weight_blocks_config("delta_net", dim=8, heads=2, ffn_dim=8, layers=1)
    cfg.fast_weight_type = "transformer"
    layer = build_fast_weight_sublayer(cfg)
    with pytest.raises(ValueError, match="softmax attention keeps past keys/values"):
        layer(torch.zeros(1, 3, 8), reset=torch.zeros(1, 3, dtype=torch.bool))
