"""recipes/wikitext103: every script on a tiny slice, the table, the figure, TensorBoard logs, and bad input."""

import os
import re

import pytest

from recipe_helpers import REPO_ROOT, assert_png, load_script, read_tensorboard_scalars, run_script

RECIPES = os.path.join(REPO_ROOT, "recipes", "wikitext103")
SHARED_DATA = os.path.join(os.path.dirname(REPO_ROOT), "shared", "data", "wikitext-2")


@pytest.fixture(scope="module")
def mini_run(tmp_path_factory):
    """mini.sh on a slice: a truncated Delta Net and a full-context RDN, 6 updates each, validated every 2."""
    out_dir = tmp_path_factory.mktemp("mini")
    result = run_script(
        os.path.join(RECIPES, "mini.sh"), SHARED_DATA, str(out_dir), "delta_net", "rdn:full",
        TRAIN_LINES="150", EVAL_LINES="60", MAX_UPDATE="6",
        MINI_MODEL_FLAGS="--decoder-embed-dim 32 --validate-interval-updates 2",
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out_dir


def test_mini_table_has_every_evaluation(mini_run):
    table = (mini_run / "table.md").read_text()
    rows = re.findall(r"^\| (\w+) \| tiny \| (\w+) \| ([a-z ]+) \| ([0-9.]+) \| ([0-9.]+) \|", table, re.M)
    assert {(model, mode, evaluation) for model, mode, evaluation, _, _ in rows} == {
        ("delta_net", "truncated", "sliding window"),
        ("rdn", "full", "sliding window"),
        ("rdn", "full", "carried state"),
    }
    assert all(1 < float(ppl) < 1e5 for *_, valid, test in rows for ppl in (valid, test))


def test_mini_figure_follows_the_training_logs_which_tensorboard_also_holds(mini_run):
    collect = load_script(os.path.join(RECIPES, "collect.py"))
    for run in ("delta_net_truncated", "rdn_full"):
        run_dir = mini_run / "runs" / run
        curve = collect.read_valid_curve((run_dir / "train.log").read_text())
        updates = [update for update, _ in curve]
        assert {2, 4, 6} <= set(updates) and updates == sorted(updates)  # and at the end of each epoch
        logged = read_tensorboard_scalars(str(run_dir / "tensorboard" / "valid"), "ppl")
        assert [update for update, _ in logged] == updates
        assert [ppl for _, ppl in curve] == pytest.approx([ppl for _, ppl in logged], rel=1e-5)
        assert read_tensorboard_scalars(str(run_dir / "tensorboard" / "train"), "ppl")
    assert_png(mini_run / "figure.png")


def test_rerun_resumes_and_a_different_configuration_is_refused(mini_run):
    data, run_dir = str(mini_run / "data-bin"), str(mini_run / "runs" / "delta_net_truncated")
    # "delta" is the old spelling of delta_net: the same run, resumed
    same = run_script(os.path.join(RECIPES, "train.sh"), "--model", "delta", "--size", "tiny", "--gpus", "0",
                      "--data", data, "--out", run_dir, "--max-update", "6", "--", "--decoder-embed-dim", "32",
                      "--validate-interval-updates", "2")
    assert same.returncode == 0, same.stderr[-2000:]
    assert re.search(r"Loaded checkpoint .*checkpoint_last.pt \(epoch \d+ @ 6 updates\)", same.stdout)
    other = run_script(os.path.join(RECIPES, "train.sh"), "--model", "rdn", "--size", "tiny", "--gpus", "0",
                       "--data", data, "--out", run_dir)
    assert other.returncode == 1
    assert f"{run_dir} holds another run (model=delta_net" in other.stderr


def test_collect_puts_the_paper_numbers_beside_small_runs(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "run_config.txt").write_text("model=delta_rnn size=small mode=full segments_per_update=96\n")
    (run_dir / "results.txt").write_text("split=valid eval=carried_state ppl=31.9\n"
                                         "split=test eval=carried_state ppl=32.7\n")
    result = run_script(os.path.join(RECIPES, "collect.py"), str(run_dir))
    assert result.returncode == 0, result.stderr
    assert "| delta_rnn | small | full | carried state | 31.9 | 32.7 | 32.8 |" in result.stdout


def test_collect_figure_draws_the_curves_and_the_test_perplexities_beside_the_paper(tmp_path):
    runs = {"delta_rnn_full": ("delta_rnn", "full", {"carried_state": "32.7", "sliding_window": "34.0"}),
            "delta_net_tiny": ("delta_net", "truncated", {"sliding_window": "250.1"})}
    for name, (model, mode, test_ppl) in runs.items():
        (tmp_path / name).mkdir()
        size = "tiny" if name.endswith("tiny") else "small"
        (tmp_path / name / "run_config.txt").write_text(f"model={model} size={size} mode={mode}\n")
        (tmp_path / name / "results.txt").write_text(
            "".join(f"split=test eval={evaluation} ppl={ppl}\n" for evaluation, ppl in test_ppl.items()))
    (tmp_path / "delta_rnn_full" / "train.log").write_text(
        "2026-11-30 20:21:12 | INFO | train_inner | epoch 001:     50 / 200 loss=9.1, ppl=548.1, num_updates=50\n"
        "2026-11-30 20:21:12 | INFO | valid | epoch 001 | valid on 'valid' subset | loss 9.05 | ppl 530.04 "
        "| wps 0 | wpb 993 | bsz 8 | num_updates 50\n"
        "2026-11-30 20:22:12 | INFO | valid | epoch 002 | valid on 'valid' subset | loss 8.2 | ppl 294.07 "
        "| wps 0 | wpb 993 | bsz 8 | num_updates 100 | best_loss 8.2\n")
    run_dirs = [str(tmp_path / name) for name in runs]
    result = run_script(os.path.join(RECIPES, "collect.py"), *run_dirs, "--figure", str(tmp_path / "figure.png"))
    assert result.returncode == 0, result.stderr
    assert "| delta_net | tiny | truncated | sliding window |  | 250.1 |  |" in result.stdout
    assert_png(tmp_path / "figure.png")

    collect = load_script(os.path.join(RECIPES, "collect.py"))
    curves, tests = collect.perplexity_figure([collect.read_run(run_dir) for run_dir in run_dirs]).axes
    [line] = curves.lines  # delta_net_tiny has no train.log
    assert line.get_label() == "delta_rnn_full" and line.get_xydata().tolist() == [[50, 530.04], [100, 294.07]]
    ours, paper = tests.containers
    assert [bar.get_width() for bar in ours] == [32.7, 34.0, 250.1]
    assert [bar.get_width() for bar in paper] == [32.8, 32.8]  # the paper's number only beside the small run
    assert [label.get_text() for label in tests.get_yticklabels()] == [
        "delta_rnn_full, carried state", "delta_rnn_full, sliding window", "delta_net_tiny, sliding window"]


@pytest.mark.parametrize("option, value, message", [
    ("--model", "gpt", "unknown model 'gpt'; choose one of transformer, linear_transformer, delta_net, "),
    ("--model", "lstm", "unknown model 'lstm'; choose one of transformer, "),
    ("--size", "large", "unknown size 'large'; choose small, medium or tiny"),
    ("--mode", "stream", "unknown mode 'stream'; choose truncated or full"),
])
def test_train_refuses_unknown_choices(tmp_path, option, value, message):
    args = {"--model": "delta_net", "--size": "tiny", "--mode": "truncated", option: value}
    result = run_script(os.path.join(RECIPES, "train.sh"), *[x for kv in args.items() for x in kv],
                        "--data", str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and message in result.stderr


def test_train_refuses_checkpoints_of_an_unknown_run(mini_run, tmp_path):
    (tmp_path / "out" / "checkpoints").mkdir(parents=True)
    (tmp_path / "out" / "checkpoints" / "checkpoint_last.pt").write_bytes(b"someone else's")
    result = run_script(os.path.join(RECIPES, "train.sh"), "--model", "delta_net", "--size", "tiny",
                        "--data", str(mini_run / "data-bin"), "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and "holds checkpoints of an unknown run" in result.stderr


def test_prepare_names_missing_and_truncated_files(tmp_path):
    missing = run_script(os.path.join(RECIPES, "prepare.sh"), str(tmp_path / "raw"), str(tmp_path / "bin"))
    assert missing.returncode == 1 and "wiki.train.tokens not found" in missing.stderr
    raw = tmp_path / "raw"
    raw.mkdir()
    for split in ("train", "valid", "test"):
        (raw / f"wiki.{split}.tokens").write_text("a few words\n")
    truncated = run_script(os.path.join(RECIPES, "prepare.sh"), str(raw), str(tmp_path / "bin"))
    assert truncated.returncode == 1
    assert "wiki.train.tokens has 4 tokens, WikiText-103's has 103227021" in truncated.stderr
    assert not (tmp_path / "bin").exists()


def test_prepare_binarizes_when_the_count_check_is_skipped(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    with open(os.path.join(SHARED_DATA, "wiki.valid.tokens")) as source:
        lines = source.readlines()[:40]
    for split in ("train", "valid", "test"):
        (raw / f"wiki.{split}.tokens").write_text("".join(lines))
    result = run_script(os.path.join(RECIPES, "prepare.sh"), str(raw), str(tmp_path / "bin"), "--skip-count-check")
    assert result.returncode == 0, result.stderr[-2000:]
    assert all((tmp_path / "bin" / f"{split}.bin").exists() for split in ("train", "valid", "test"))


def test_eval_needs_a_trained_run(tmp_path):
    result = run_script(os.path.join(RECIPES, "eval.sh"), "--data", str(tmp_path), "--out", str(tmp_path))
    assert result.returncode == 1 and "run_config.txt not found" in result.stderr
