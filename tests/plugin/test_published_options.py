"""The options that make the WikiText-103 architectures follow the published code: each does
what it says, against a hand computation or the model with the option off."""

import pytest
import torch
import torch.nn.functional as F
from fairseq.modules import AdaptiveInput

from fwp_plugin.modules import FeatureMap

from plugin_helpers import build_model, make_dictionary

# The paper architectures at 2 blocks over a small dictionary (cutoffs below its size).
SMALL = ("--decoder-layers", "2", "--adaptive-input-cutoff", "100,200", "--adaptive-softmax-cutoff", "100,200")


@pytest.fixture(scope="module")
def dictionary():
    return make_dictionary(400)


def linear_layers(model):
    return [m for m in model.modules() if isinstance(m, torch.nn.Linear)]


def test_published_init_draws_every_weight_as_the_authors_train_py(dictionary):
    torch.manual_seed(0)
    model = build_model("fwp_rdn_wt103_small", dictionary, *SMALL)
    weights = torch.cat([m.weight.flatten() for m in linear_layers(model) if m.weight.shape[0] != m.weight.shape[1]
                         or not torch.equal(m.weight, torch.eye(m.weight.shape[0]))])
    assert abs(weights.std().item() - 0.02) < 0.001 and abs(weights.mean().item()) < 0.001
    assert all(m.bias is None or not m.bias.any() for m in linear_layers(model))
    gains = torch.cat([m.weight for m in model.modules() if isinstance(m, torch.nn.LayerNorm)])
    assert abs(gains.mean().item() - 1) < 0.01 and abs(gains.std().item() - 0.02) < 0.005
    embeddings = next(m for m in model.modules() if isinstance(m, AdaptiveInput))
    for band in embeddings.embeddings:
        assert abs(band[0].weight.std().item() - 0.02) < 0.002
        assert torch.equal(band[1].weight, torch.eye(128))  # theirs has no projection: the identity
    recurrent = model.decoder.layers[0].fast_weight.recurrent_q  # the RDN's slow recurrent matrices
    assert abs(recurrent.std().item() - 16 ** -0.5) < 0.03  # untouched: N(0, 1/d_head)


def test_default_init_is_left_alone(dictionary):
    torch.manual_seed(0)
    model = build_model("fwp_delta_net_wt103_small", dictionary, *SMALL, "--weight-init", "default")
    slow_net = model.decoder.layers[0].fast_weight.slow_net.weight
    assert slow_net.std().item() > 0.04  # PyTorch's uniform(+-1/sqrt(128)): std 0.051


def test_no_final_layer_norm_in_the_published_models(dictionary):
    assert build_model("fwp_delta_net_wt103_small", dictionary, *SMALL).decoder.final_norm is None
    assert build_model("fwp_delta_net_tiny", dictionary).decoder.final_norm is not None


def test_dropout_before_output_drops_the_last_hidden_state(dictionary):
    tokens = torch.randint(4, len(dictionary), (2, 12))
    flags = ("--dropout", "0.5", "--no-decoder-final-norm")
    torch.manual_seed(0)
    without = build_model("fwp_delta_net_tiny", dictionary, *flags).train()
    torch.manual_seed(0)
    with_dropout = build_model("fwp_delta_net_tiny", dictionary, *flags, "--dropout-before-output").train()
    torch.manual_seed(1)
    features = without.decoder.extract_features(tokens)[0]
    keep = F.dropout(torch.ones_like(features), 0.5)  # the next draw of the same generator
    torch.manual_seed(1)
    torch.testing.assert_close(with_dropout.decoder.extract_features(tokens)[0], features * keep)
    without.eval(), with_dropout.eval()
    torch.testing.assert_close(with_dropout(tokens)[0], without(tokens)[0])


@pytest.mark.parametrize("eps", [0.0, 1e-5])
def test_sum_normalisation_epsilon(eps):
    z = torch.randn(5, 8, dtype=torch.float64)
    positive = F.elu(z) + 1
    expected = positive / (positive.sum(-1, keepdim=True) + eps)
    torch.testing.assert_close(FeatureMap("elu1_sumnorm", sumnorm_eps=eps)(z), expected, rtol=0, atol=0)


@pytest.mark.parametrize("arch, eps", [("fwp_delta_net_wt103_small", 0.0), ("fwp_delta_rnn_wt103_small", 0.0),
                                       ("fwp_delta_lstm_wt103_small", 0.0), ("fwp_delta_mlp_wt103_small", 1e-5),
                                       ("fwp_delta_delta_wt103_small", 1e-5)])
def test_architectures_take_the_published_epsilon(arch, eps, dictionary):
    model = build_model(arch, dictionary, *SMALL)
    assert model.decoder.layers[0].fast_weight.feature_map.sumnorm_eps == eps
    assert model.decoder.dropout_before_output


def test_linear_transformer_is_the_released_attn_type_34(dictionary):
    layer = build_model("fwp_linear_transformer_wt103_small", dictionary, *SMALL).decoder.layers[0].fast_weight
    assert layer.feature_map.name == "elu1_sumnorm" and layer.feature_map.sumnorm_eps == 0.0
    assert not layer.normalize
    with_normaliser = build_model("fwp_linear_transformer_wt103_small", dictionary, *SMALL, "--attn-normalize")
    assert with_normaliser.decoder.layers[0].fast_weight.normalize
