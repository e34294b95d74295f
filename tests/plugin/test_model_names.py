"""One name per model: the literal architecture table, the old spellings, the recipes' list."""

import subprocess
import sys

import pytest
import torch
from fairseq.models import ARCH_MODEL_REGISTRY

from fwp_plugin import model_names
from fwp_plugin.model_names import ALIASES, ARCHITECTURES, MODELS, architecture_of, model_name, models_of

from plugin_helpers import REPO_ROOT, build_model, make_dictionary

def test_the_table_lists_exactly_the_registered_architectures():
    models = ("fwp_lm", "fwp_tagger", "lstm_tagger")  # fairseq also registers each model's own name
    ours = {name for name, model in ARCH_MODEL_REGISTRY.items()
            if model.__name__ in ("FastWeightLanguageModel", "FastWeightTagger", "LSTMTagger")
            or name.startswith("transformer_lm_fwp")} - set(models)
    assert ours == set(ARCHITECTURES)
    assert all(model in MODELS for model, _ in ARCHITECTURES.values())


def test_every_architecture_name_is_a_literal_in_the_source():
    """grep finds each name: the table is written out, not built by string formatting."""
    with open(model_names.__file__) as handle:
        source = handle.read()
    missing = [name for name in ARCHITECTURES if f'"{name}": (' not in source]
    assert not missing


@pytest.mark.parametrize("old, new", [("linear", "linear_transformer"), ("delta", "delta_net")])
def test_an_old_spelling_builds_the_same_model(old, new):
    dictionary = make_dictionary(20)
    tokens = torch.randint(4, len(dictionary), (2, 9))
    outputs = []
    for name in (old, new):
        torch.manual_seed(0)
        model = build_model("fwp_delta_net_tiny", dictionary, "--fast-weight-type", name).eval()
        outputs.append(model(tokens)[0])
    assert model.decoder.layers[0].fast_weight.__class__.__name__ == (
        "LinearAttentionSublayer" if new == "linear_transformer" else "DeltaNetSublayer")
    torch.testing.assert_close(outputs[0], outputs[1], rtol=0, atol=0)


def test_softmax_is_the_old_spelling_of_the_transformer_tagger():
    from fwp_plugin.modules import build_fast_weight_sublayer
    from fwp_plugin.modules.fast_weight_layer import sublayer_config

    for name in ("softmax", "transformer"):
        assert type(build_fast_weight_sublayer(sublayer_config(name, 8, 2))).__name__ == "SoftmaxAttentionSublayer"


def test_names_resolve_and_unknown_names_list_the_choices():
    assert model_name("delta") == "delta_net" and model_name("rdn") == "rdn"
    assert architecture_of("linear", "tiny") == "fwp_linear_transformer_tiny"
    assert models_of("rl") == ("feedforward", "lstm", "linear_transformer", "delta_net", "delta_rnn", "delta_lstm",
                               "rdn")
    assert "lstm" not in models_of("language_model") and "lstm" in models_of("algorithmic")
    with pytest.raises(ValueError, match="unknown model 'gpt'; choose one of transformer, linear_transformer"):
        model_name("gpt")
    with pytest.raises(ValueError, match="lstm has no 'wt103_small' architecture; its settings: algorithmic"):
        architecture_of("lstm", "wt103_small")
    assert set(ALIASES.values()) <= set(MODELS)


def test_command_line_answers_without_importing_fairseq():
    command = [sys.executable, "-X", "importtime", "-m", "fwp_plugin.model_names"]
    listed = subprocess.run([*command, "models", "--family", "language_model"], capture_output=True, text=True,
                            cwd=REPO_ROOT)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == list(models_of("language_model"))
    assert "fairseq" not in listed.stderr  # -X importtime lists every module imported
    arch = subprocess.run([*command, "arch", "delta", "wt103_small"], capture_output=True, text=True, cwd=REPO_ROOT)
    assert arch.stdout.strip() == "fwp_delta_net_wt103_small"
    unknown = subprocess.run([*command, "name", "delta_mlp", "--family", "rl"], capture_output=True, text=True,
                             cwd=REPO_ROOT)
    assert unknown.returncode == 2 and "unknown model 'delta_mlp'; choose one of feedforward, lstm" in unknown.stderr

