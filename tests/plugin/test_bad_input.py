"""Bad configurations and inputs get errors that name the problem."""

import os
import subprocess

import pytest
from fairseq import options, tasks
from fairseq.dataclass.utils import convert_namespace_to_omegaconf
from fairseq_cli import eval_lm

from fwp_plugin.modules import FeatureMap

from algorithmic_helpers import build_tagger, write_code_execution_data, write_listops_data
from plugin_helpers import PLUGIN_DIR, REPO_ROOT, build_model, parse_model_cfg


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


def test_wikitext103_cutoffs_on_a_small_dictionary_name_the_fix(small_dictionary):
    with pytest.raises(ValueError, match="--adaptive-input-cutoff 20000,40000,200000 needs a dictionary of more "
                       "than 200,000 types, this one has .*: pass smaller cutoffs"):
        build_model("fwp_delta_net_wt103_small", small_dictionary, "--decoder-layers", "1")


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


# --- sizes below 1 (issue 14): refused when the model or task is built, naming the flag -------

def task_from_flags(data_dir, *flags, parser=None):
    """(config, task) as fairseq-train (or ``parser``'s command) builds them from ``data_dir flags``."""
    args = options.parse_args_and_arch(parser or options.get_training_parser(),
                                       [str(data_dir), "--user-dir", PLUGIN_DIR, *flags])
    cfg = convert_namespace_to_omegaconf(args)
    return cfg, tasks.setup_task(cfg.task)


@pytest.fixture
def lm_data(tmp_path, small_dictionary):
    """A data directory that is enough to set up a language-modelling task (its dict.txt)."""
    small_dictionary.save(str(tmp_path / "dict.txt"))
    return tmp_path


def below_one(flag, value):
    return rf"{flag} {value}: .*; pass {flag} 1 or more"


@pytest.mark.parametrize("arch", ["fwp_delta_net_tiny", "fwp_lm", "transformer_lm_fwp_tiny"])
@pytest.mark.parametrize("flag, value", [("--decoder-layers", "0"), ("--decoder-layers", "-1"),
                                         ("--decoder-embed-dim", "0"), ("--decoder-attention-heads", "0"),
                                         ("--decoder-attention-heads", "-2"), ("--decoder-ffn-embed-dim", "0")])
def test_language_model_sizes_below_one(arch, flag, value, small_dictionary):
    """--decoder-layers 0 trained a model without blocks; --decoder-attention-heads 0 was a ZeroDivisionError."""
    with pytest.raises(ValueError, match=below_one(flag, value)):
        build_model(arch, small_dictionary, flag, value)


def test_transformer_baseline_head_count_must_divide_the_model_size():
    with pytest.raises(ValueError, match="decoder_embed_dim=32 is not divisible by decoder_attention_heads=5"):
        parse_model_cfg("transformer_lm_fwp_tiny", "--decoder-attention-heads", "5")


@pytest.mark.parametrize("arch, flag", [("fwp_delta_net_algorithmic_tiny", "--decoder-layers"),
                                        ("transformer_algorithmic_tiny", "--decoder-attention-heads"),
                                        ("lstm_algorithmic_tiny", "--lstm-layers"),
                                        ("lstm_algorithmic_tiny", "--lstm-hidden-size"),
                                        ("lstm_algorithmic_tiny", "--embed-dim")])
def test_tagger_sizes_below_one(arch, flag, small_dictionary):
    with pytest.raises(ValueError, match=below_one(flag, 0)):
        build_tagger(arch, small_dictionary, 10, flag, "0")


@pytest.mark.parametrize("task", ["language_modeling", "language_modeling_carried_state"])
@pytest.mark.parametrize("flag, value", [("--tokens-per-sample", "0"), ("--tokens-per-sample", "-4"),
                                         ("--batch-size", "0"), ("--batch-size", "-1"),
                                         ("--batch-size-valid", "0")])
def test_language_modeling_sizes_below_one(task, flag, value, lm_data):
    """fairseq's own language_modeling task too: --batch-size 0 put the whole split in one batch,
    --tokens-per-sample 0 was a ZeroDivisionError (and, for the carried state, --batch-size 0)."""
    sizes = {"--tokens-per-sample": "16", "--batch-size": "4", flag: value}
    with pytest.raises(ValueError, match=below_one(flag, value)):
        task_from_flags(lm_data, "--task", task, "--arch", "fwp_delta_net_tiny", *(
            item for pair in sizes.items() for item in pair))


@pytest.mark.parametrize("flag", ["--batch-size", "--batch-size-valid"])
def test_algorithmic_batch_size_below_one(flag, tmp_path):
    with pytest.raises(ValueError, match=below_one(flag, 0)):
        task_from_flags(write_listops_data(tmp_path), "--task", "listops", "--arch", "fwp_delta_net_algorithmic_tiny",
                        "--batch-size", "8", flag, "0")


def test_algorithmic_task_with_valid_sizes_sets_up(tmp_path):
    _, task = task_from_flags(write_listops_data(tmp_path), "--task", "listops",
                              "--arch", "fwp_delta_net_algorithmic_tiny", "--batch-size", "8")
    assert task.cfg.batch_size == task.cfg.batch_size_valid == 8


@pytest.mark.parametrize("task", ["language_modeling", "language_modeling_carried_state"])
@pytest.mark.parametrize("context_window", ["32", "40"])
def test_eval_lm_context_window_must_be_below_tokens_per_sample(task, context_window, lm_data):
    """fairseq-eval-lm takes --context-window off --tokens-per-sample before it sets up the task:
    equal or above, loading the split was a ZeroDivisionError. Refused before the checkpoint is read."""
    args = options.parse_args_and_arch(options.get_eval_lm_parser(), [
        str(lm_data), "--user-dir", PLUGIN_DIR, "--task", task, "--path", str(lm_data / "never_read.pt"),
        "--tokens-per-sample", "32", "--context-window", context_window, "--batch-size", "1", "--cpu"])
    with pytest.raises(ValueError, match=r"--tokens-per-sample -?\d+: a segment must hold at least one token "
                       r".* pass a --tokens-per-sample above --context-window, or drop --context-window"):
        eval_lm.main(convert_namespace_to_omegaconf(args))


# --- a model under a task it cannot serve ----------------------------------------------------

@pytest.mark.parametrize("task", ["listops", "code_execution"])
@pytest.mark.parametrize("arch", ["fwp_delta_net_tiny", "fwp_lm", "transformer_lm_fwp_tiny"])
def test_algorithmic_task_names_the_missing_tagger(task, arch, tmp_path):
    """It was OmegaConf's "Interpolation key 'task.tokens_per_sample' not found", raised while
    fairseq-train read its command line."""
    write = write_listops_data if task == "listops" else write_code_execution_data
    cfg, built = task_from_flags(write(tmp_path), "--task", task, "--arch", arch)
    with pytest.raises(ValueError, match=rf"--task {task} needs a sequence tagger: an \*_algorithmic "
                       rf"architecture \(models fwp_tagger, lstm_tagger\), got {arch}"):
        built.build_model(cfg.model)


def test_algorithmic_task_takes_no_language_model_flags(tmp_path, capsys):
    """The fields that let a language model's config resolve are not flags of the task."""
    with pytest.raises(SystemExit):
        task_from_flags(write_listops_data(tmp_path), "--task", "listops", "--arch", "fwp_delta_net_algorithmic_tiny",
                        "--tokens-per-sample", "64")
    assert "unrecognized arguments: --tokens-per-sample 64" in capsys.readouterr().err


@pytest.mark.parametrize("task", ["language_modeling", "language_modeling_carried_state"])
def test_language_modeling_task_names_the_tagger(task, lm_data):
    cfg, built = task_from_flags(lm_data, "--task", task, "--arch", "fwp_delta_net_algorithmic_tiny")
    with pytest.raises(ValueError, match="FastWeightTagger tags token sequences .* use --task code_execution or "
                       "--task listops .* or for language modelling a language-model architecture"):
        built.build_model(cfg.model)
