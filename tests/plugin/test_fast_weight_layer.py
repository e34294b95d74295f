"""FastWeightLayer: every sublayer type as a plain module, built without a fairseq config;
the carried state continues the sequence exactly."""

import pytest
import torch

from fwp_plugin.modules import FAST_WEIGHT_SUBLAYERS, FastWeightLayer


@pytest.mark.parametrize("fast_weight_type", list(FAST_WEIGHT_SUBLAYERS))
def test_carried_state_equals_one_long_sequence(fast_weight_type):
    torch.manual_seed(0)
    layer = FastWeightLayer(fast_weight_type, d_model=16, heads=2).double()
    assert type(layer.sublayer) is FAST_WEIGHT_SUBLAYERS[fast_weight_type]  # the class the fairseq models use
    x = torch.randn(3, 11, 16, dtype=torch.float64)
    whole, whole_state = layer(x)
    first, state = layer(x[:, :4])
    second, final_state = layer(x[:, 4:], state)
    assert whole.shape == x.shape
    torch.testing.assert_close(torch.cat([first, second], dim=1), whole, rtol=1e-10, atol=1e-10)
    parts = lambda state: state if isinstance(state, tuple) else (state,)  # noqa: E731
    for part, whole_part in zip(parts(final_state), parts(whole_state), strict=True):
        torch.testing.assert_close(part, whole_part, rtol=1e-10, atol=1e-10)


def test_reset_starts_a_row_afresh():
    torch.manual_seed(0)
    layer = FastWeightLayer("delta_rnn", d_model=16, heads=4).double()
    x = torch.randn(2, 8, 16, dtype=torch.float64)
    _, state = layer(x[:, :3])
    reset = torch.zeros(2, 5, dtype=torch.bool)
    reset[0, 2] = True
    y, _ = layer(x[:, 3:], state, reset)
    fresh, _ = layer(x[:1, 5:])
    torch.testing.assert_close(y[:1, 2:], fresh, rtol=1e-10, atol=1e-10)


def test_plain_arguments_are_checked():
    with pytest.raises(ValueError, match="not divisible"):
        FastWeightLayer("delta_net", d_model=30, heads=4)
    with pytest.raises(ValueError, match="fast_weight_type: unknown model .deltanet.; choose one of linear_transformer, delta_net"):
        FastWeightLayer("deltanet", d_model=16, heads=2)
    with pytest.raises(ValueError, match="pass --feature-map softmax"):
        FastWeightLayer("rdn", d_model=16, heads=2, feature_map="elu1")
