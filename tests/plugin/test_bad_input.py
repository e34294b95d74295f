"""Bad configurations and inputs get errors that name the problem."""

import os
import subprocess

import pytest

from fwp_plugin.modules import FeatureMap

from plugin_helpers import REPO_ROOT, build_model, parse_model_cfg


@pytest.mark.parametrize("flag, value", [("--fast-weight-type", "hebbian"), ("--feature-map", "relu3")])
def test_unknown_choice_on_the_command_line(flag, value, capsys):
    with pytest.raises(SystemExit):
        parse_model_cfg("fwp_delta_net_tiny", flag, value)
    error = capsys.readouterr().err
    assert flag in error and f"invalid choice: '{value}'" in error


def test_unknown_feature_map_in_code():
    with pytest.raises(ValueError, match="unknown feature map 'relu3'; choose one of elu1, "):
        FeatureMap("relu3")


def test_head_count_must_divide_the_model_size(small_dictionary):
    with pytest.raises(ValueError, match="decoder_embed_dim=32 is not divisible by decoder_attention_heads=5"):
        build_model("fwp_delta_net_tiny", small_dictionary, "--decoder-attention-heads", "5")


def test_beta_max_out_of_range(small_dictionary):
    with pytest.raises(ValueError, match=r"beta_max must be in \(0, 2\], got 3.0"):
        build_model("fwp_delta_net_tiny", small_dictionary, "--beta-max", "3")


def test_tied_adaptive_weights_need_equal_cutoffs(small_dictionary):
    with pytest.raises(ValueError, match="needs equal cutoffs"):
        build_model("fwp_delta_net_wt103_small", small_dictionary, "--adaptive-input-cutoff", "10,20",
                    "--adaptive-softmax-cutoff", "10,30")


def test_quickstart_names_a_missing_data_directory(tmp_path):
    result = subprocess.run(
        ["bash", os.path.join(REPO_ROOT, "recipes", "quickstart.sh"), str(tmp_path / "nowhere"),
         str(tmp_path / "out")],
        capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert f"{tmp_path / 'nowhere'}/wiki.valid.tokens not found" in result.stderr
    assert not (tmp_path / "out").exists()


def test_rdn_refuses_a_feature_map_it_would_ignore(small_dictionary):
    with pytest.raises(ValueError, match="pass --feature-map softmax --beta-max 1"):
        build_model("fwp_rdn_tiny", small_dictionary, "--feature-map", "elu1_sumnorm")


def test_delta_mlp_needs_at_least_one_fast_layer(small_dictionary):
    with pytest.raises(ValueError, match="delta_mlp needs --delta-mlp-depth >= 1"):
        build_model("fwp_delta_mlp_tiny", small_dictionary, "--delta-mlp-depth", "0")
