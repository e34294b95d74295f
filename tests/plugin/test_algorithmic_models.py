"""The sequence taggers of the algorithmic tasks and the softmax attention sublayer."""

import pytest
import torch

from fwp_plugin.criterions.listops_accuracy import ListOpsAccuracyCriterion
from fwp_plugin.model_names import architecture_of, models_of
from fwp_plugin.models.architectures import ARCHITECTURES, FAST_WEIGHT_SETTINGS
from fwp_plugin.modules.softmax_attention_layer import SoftmaxAttentionSublayer
from fwp_plugin.tasks.labelled_sequences import LabelledSequenceDataset

from algorithmic_helpers import build_tagger
from plugin_helpers import parse_model_cfg

TAGGERS = [name for name, arch in ARCHITECTURES.items() if arch.model in ("fwp_tagger", "lstm_tagger")]
TINY_TAGGERS = [name for name in TAGGERS if name.endswith("_tiny")]
NUM_CLASSES = 30


def test_every_variant_and_baseline_has_a_paper_and_a_tiny_architecture():
    models = models_of("algorithmic")
    assert set(models) == {*FAST_WEIGHT_SETTINGS, "transformer", "lstm"}
    expected = [architecture_of(model, setting) for model in models for setting in ("algorithmic", "algorithmic_tiny")]
    assert sorted(TAGGERS) == sorted(expected)


@pytest.mark.parametrize("arch", [name for name in TAGGERS if name not in TINY_TAGGERS])
def test_paper_architectures_have_the_paper_sizes(arch, small_dictionary):
    with torch.device("meta"):
        model = build_tagger(arch, small_dictionary, NUM_CLASSES)
    if arch == "lstm_algorithmic":
        lstm = model.lstm
        assert (lstm.input_size, lstm.hidden_size, lstm.num_layers) == (128, 256, 4)
    else:
        cfg = parse_model_cfg(arch)
        assert (cfg.decoder_layers, cfg.decoder_embed_dim, cfg.decoder_attention_heads,
                cfg.decoder_ffn_embed_dim) == (4, 256, 16, 1024)
        assert len(model.layers) == 4 and not cfg.residual_from_normalized
    assert model.output_projection.out_features == NUM_CLASSES


@pytest.mark.parametrize("arch", TINY_TAGGERS)
def test_forward_shapes_and_gradients(arch, small_dictionary):
    model = build_tagger(arch, small_dictionary, NUM_CLASSES)
    logits = model(torch.randint(4, len(small_dictionary), (3, 11)))
    assert logits.shape == (3, 11, NUM_CLASSES)
    logits.logsumexp(-1).mean().backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


@pytest.mark.parametrize("arch", TINY_TAGGERS)
def test_taggers_are_causal(arch, small_dictionary):
    model = build_tagger(arch, small_dictionary, NUM_CLASSES).eval()
    tokens = torch.randint(4, len(small_dictionary), (2, 12))
    changed = tokens.clone()
    changed[:, 7:] = (changed[:, 7:] - 3) % (len(small_dictionary) - 4) + 4
    with torch.no_grad():
        before, after = model(tokens), model(changed)
    torch.testing.assert_close(after[:, :7], before[:, :7], rtol=1e-5, atol=1e-5)
    assert not torch.allclose(after[:, 7], before[:, 7])


@pytest.mark.parametrize("arch", TINY_TAGGERS)
def test_listops_prediction_ignores_the_padding_of_a_batch(arch, small_dictionary):
    """A sequence scored alone and next to a longer one (so it is padded) gets the same loss."""
    model = build_tagger(arch, small_dictionary, 10).eval()
    short, long = torch.randint(4, len(small_dictionary), (5,)), torch.randint(4, len(small_dictionary), (13,))
    labels = [torch.tensor(3), torch.tensor(8)]
    dataset = LabelledSequenceDataset([short, long], labels, small_dictionary.pad(), None, shuffle=False)
    criterion = ListOpsAccuracyCriterion(task=None)
    with torch.no_grad():
        alone = criterion(model, dataset.collater([dataset[0]]))
        padded = criterion(model, dataset.collater([dataset[0], dataset[1]]))
        logits_alone = model(short[None])[0, -1]
        logits_padded = model(torch.stack([torch.cat([short, torch.full((8,), small_dictionary.pad())]), long]))
    torch.testing.assert_close(logits_padded[0, 4], logits_alone, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(logits_padded[0, -1], logits_alone)  # what reading the last column would give
    long_alone = criterion(model, dataset.collater([dataset[1]]))
    torch.testing.assert_close(padded[0], alone[0] + long_alone[0], rtol=1e-5, atol=1e-5)
    assert padded[2]["correct"] == alone[2]["correct"] + long_alone[2]["correct"]


def test_softmax_sublayer_is_causal_multi_head_attention():
    cfg = parse_model_cfg("transformer_algorithmic_tiny")
    layer = SoftmaxAttentionSublayer(cfg).eval()
    x = torch.randn(2, 6, cfg.decoder_embed_dim)
    heads, d = cfg.decoder_attention_heads, cfg.decoder_embed_dim // cfg.decoder_attention_heads
    q, k, v = layer.slow_net(x).view(2, 6, heads, 3 * d).split(d, dim=-1)
    scores = torch.einsum("bihd,bjhd->bhij", q, k) / d**0.5
    scores = scores.masked_fill(torch.ones(6, 6).triu(1).bool(), float("-inf"))
    expected = torch.einsum("bhij,bjhd->bihd", scores.softmax(-1), v).reshape(2, 6, -1)
    torch.testing.assert_close(layer(x), layer.out_proj(expected), rtol=1e-5, atol=1e-5)


def test_softmax_sublayer_state_continues_the_sequence():
    """The kept keys and values make chunk-by-chunk calls equal one full call."""
    cfg = parse_model_cfg("transformer_algorithmic_tiny")
    layer = SoftmaxAttentionSublayer(cfg).eval()
    x = torch.randn(2, 9, cfg.decoder_embed_dim)
    state = {}
    chunks = [layer(chunk, state) for chunk in x.split([1, 5, 3], dim=1)]
    torch.testing.assert_close(torch.cat(chunks, dim=1), layer(x), rtol=1e-5, atol=1e-5)
