"""recipes/wikitext103: every script on a tiny slice, the table, and bad input."""

import os
import re

import pytest

from recipe_helpers import REPO_ROOT, run_script

RECIPES = os.path.join(REPO_ROOT, "recipes", "wikitext103")
SHARED_DATA = os.path.join(os.path.dirname(REPO_ROOT), "shared", "data", "wikitext-2")


@pytest.fixture(scope="module")
def mini_run(tmp_path_factory):
    """mini.sh on a slice: a truncated Delta Net and a full-context RDN, a few updates each."""
    out_dir = tmp_path_factory.mktemp("mini")
    result = run_script(
        os.path.join(RECIPES, "mini.sh"), SHARED_DATA, str(out_dir), "delta_net", "rdn:full",
        TRAIN_LINES="150", EVAL_LINES="60", MAX_UPDATE="6", MINI_MODEL_FLAGS="--decoder-embed-dim 32",
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


def test_rerun_resumes_and_a_different_configuration_is_refused(mini_run):
    data, run_dir = str(mini_run / "data-bin"), str(mini_run / "runs" / "delta_net_truncated")
    same = run_script(os.path.join(RECIPES, "train.sh"), "--model", "delta_net", "--size", "tiny", "--gpus", "0",
                      "--data", data, "--out", run_dir, "--max-update", "6", "--", "--decoder-embed-dim", "32")
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


@pytest.mark.parametrize("option, value, message", [
    ("--model", "gpt", "unknown model 'gpt'; choose transformer, "),
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
