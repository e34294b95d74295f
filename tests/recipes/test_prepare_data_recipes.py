"""recipes/prepare_data.sh and recipes/quickstart.sh on bad input: other slices of the text, an
interrupted preparation, knobs fairseq would misread, empty splits, and a second run at once.
(The quickstart's successful run is tests/plugin/test_end_to_end.py.)"""

import os

import pytest

from recipe_helpers import RECIPES, SHARED_DATA, held_lock, indexed_lines, run_script, stand_in

PREPARE_DATA = os.path.join(RECIPES, "prepare_data.sh")
QUICKSTART = os.path.join(RECIPES, "quickstart.sh")
SLICES = {"TRAIN_LINES": "150", "EVAL_LINES": "60"}
BINARIZED = ["dict.txt"] + [f"{split}.{ext}" for split in ("train", "valid", "test") for ext in ("bin", "idx")]


def prepare(out_dir, **env):
    result = run_script(PREPARE_DATA, SHARED_DATA, str(out_dir), **env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def snapshot(folder):
    """{relative path: bytes} of every file under folder but the lock files (which name their last holder)."""
    return {os.path.relpath(os.path.join(parent, name), folder): open(os.path.join(parent, name), "rb").read()
            for parent, _, names in os.walk(folder) for name in names if not name.endswith(".lock")}


def partials(out_dir):
    return sorted(name for name in os.listdir(out_dir) if ".partial." in name or ".old." in name)


def test_other_slices_rebuild_unused_data_and_are_refused_beside_a_run(tmp_path):
    out = tmp_path / "out"
    prepare(out, **SLICES)
    source = (out / "data-bin" / "source.txt").read_text()
    assert source.startswith(f"# DATA_DIR={os.path.realpath(SHARED_DATA)} TRAIN_LINES=150 EVAL_LINES=60\n")
    assert "made from this text: keeping it" in prepare(out, **SLICES).stdout

    # Nothing else in OUT_DIR was made from the data: other slices rebuild it.
    rebuilt = prepare(out, TRAIN_LINES="100", EVAL_LINES="60")
    assert "was made from other text (DATA_DIR=" in rebuilt.stderr and "rebuilding it" in rebuilt.stderr
    assert indexed_lines(out / "data-bin" / "train.idx") == 100
    assert len((out / "text" / "train.txt").read_text().splitlines()) == 100
    assert partials(out) == []

    # A run trained on it: the quickstart with other slices stops before touching anything.
    (out / "checkpoints").mkdir()
    (out / "checkpoints" / "checkpoint_last.pt").write_bytes(b"trained on 100 lines")
    before = snapshot(out)
    refused = run_script(QUICKSTART, SHARED_DATA, str(out), MAX_UPDATE="1", **SLICES)
    assert refused.returncode == 1
    assert (f"{out}/data-bin was made from other text (DATA_DIR={os.path.realpath(SHARED_DATA)} TRAIN_LINES=100 "
            f"EVAL_LINES=60), not from DATA_DIR={SHARED_DATA} TRAIN_LINES=150 EVAL_LINES=60") in refused.stderr
    assert "also holds what was made from that data (checkpoints): use another OUT_DIR" in refused.stderr
    assert snapshot(out) == before


def test_data_made_before_source_txt_is_checked_against_the_text_beside_it(tmp_path):
    out = tmp_path / "out"
    prepare(out, **SLICES)
    (out / "data-bin" / "source.txt").unlink()
    kept = prepare(out, **SLICES)  # the text beside it has its counts: the same data, recorded from now on
    assert "made from this text: keeping it" in kept.stdout
    assert (out / "data-bin" / "source.txt").exists()

    # What the old script left after TRAIN_LINES=100: text/ rewritten, data-bin kept from 150 lines.
    (out / "data-bin" / "source.txt").unlink()
    with open(os.path.join(SHARED_DATA, "wiki.valid.tokens")) as source:
        (out / "text" / "train.txt").write_text("".join(source.readlines()[:100]))
    (out / "train.log").write_text("a run\n")
    refused = run_script(PREPARE_DATA, SHARED_DATA, str(out), TRAIN_LINES="100", EVAL_LINES="60")
    assert refused.returncode == 1
    assert "was made from other text (not recorded: made before data-bin/source.txt existed" in refused.stderr
    assert indexed_lines(out / "data-bin" / "train.idx") == 150


# A stand-in fairseq-preprocess that writes part of its output, then fails, is stopped, or is
# killed along with the script (kill -9: no trap runs).
INTERRUPTED_PREPROCESS = """
while [ $# -gt 0 ]; do [ "$1" = --destdir ] && dest=$2; shift; done
echo "a 1" > "$dest/dict.txt"
echo half > "$dest/train.bin"
case $HOW in
  fail) exit 1 ;;
  term) kill -TERM $PPID; sleep 1; exit 1 ;;
  kill) kill -KILL $PPID; sleep 1; exit 1 ;;
esac
"""


@pytest.mark.parametrize("how", ["fail", "term", "kill"])
def test_an_interrupted_preparation_is_redone_never_half_kept(tmp_path, how):
    out = tmp_path / "out"
    fake = stand_in(tmp_path / "bin", "fairseq-preprocess", INTERRUPTED_PREPROCESS)
    interrupted = run_script(PREPARE_DATA, SHARED_DATA, str(out), path_first=[fake], HOW=how, **SLICES)
    assert interrupted.returncode != 0
    assert not (out / "data-bin").exists() and not (out / "text").exists()
    # A failure or SIGTERM removes the partial directories at once; after kill -9 the next run does.
    assert bool(partials(out)) == (how == "kill")
    if how == "kill":
        prepare(out, **SLICES)
        assert sorted(os.listdir(out / "data-bin")) == sorted(BINARIZED + ["preprocess.log", "source.txt"])
        assert partials(out) == []


@pytest.mark.parametrize("script, env, message", [
    (QUICKSTART, {"MAX_UPDATE": "0"},
     "MAX_UPDATE must be a whole number >= 1 (fairseq reads 0 as no limit), got '0'"),
    (QUICKSTART, {"BATCH_SIZE": "-4"}, "BATCH_SIZE must be a whole number >= 1 (segments per update), got '-4'"),
    (QUICKSTART, {"TOKENS_PER_SAMPLE": "abc"}, "TOKENS_PER_SAMPLE must be a whole number >= 1"),
    (QUICKSTART, {"TRAIN_LINES": "0"}, "TRAIN_LINES must be a whole number >= 1"),
    (PREPARE_DATA, {"EVAL_LINES": "1"}, "EVAL_LINES must be a whole number >= 2"),
])
def test_knobs_fairseq_would_misread_are_refused_before_anything_is_made(tmp_path, script, env, message):
    result = run_script(script, SHARED_DATA, str(tmp_path / "out"), **env)
    assert result.returncode == 1 and message in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("env, message", [
    ({"TRAIN_LINES": "1"}, "the train split, the first 1 lines of {data}/wiki.valid.tokens (TRAIN_LINES), has no "
                           "words: raise TRAIN_LINES"),
    ({"EVAL_LINES": "3"}, "the test split, the second half of the first 3 lines of {data}/wiki.test.tokens "
                          "(EVAL_LINES), has no words: raise EVAL_LINES"),
])
def test_an_empty_split_is_named(tmp_path, env, message):
    result = run_script(QUICKSTART, SHARED_DATA, str(tmp_path / "out"), **env)
    assert result.returncode == 1 and message.format(data=SHARED_DATA) in result.stderr
    assert sorted(os.listdir(tmp_path / "out")) == [".prepare.lock"]


def test_an_empty_tokens_file_is_named(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "wiki.valid.tokens").write_text("")
    (tmp_path / "data" / "wiki.test.tokens").write_text(" = A = \n")
    result = run_script(QUICKSTART, str(tmp_path / "data"), str(tmp_path / "out"))
    assert result.returncode == 1
    assert f"{tmp_path}/data/wiki.valid.tokens is empty (no words)" in result.stderr


def test_a_second_quickstart_into_the_same_out_dir_is_refused(tmp_path):
    out = tmp_path / "out"
    prepare(out, **SLICES)
    with held_lock(out / ".lock"):  # a quickstart running there
        result = run_script(QUICKSTART, SHARED_DATA, str(out), MAX_UPDATE="1", **SLICES)
    assert result.returncode == 1 and f"error: {out} is in use by another run" in result.stderr
    assert not (out / "train.log").exists()


def test_rerunning_a_finished_quickstart_reports_the_same_perplexity(tmp_path):
    """fairseq-train resumed on a finished run trains one more update; the quickstart does not start it."""
    tiny = dict(SLICES, MAX_UPDATE="2", TOKENS_PER_SAMPLE="32", BATCH_SIZE="4",
                MODEL_FLAGS="--decoder-layers 1 --decoder-embed-dim 16 --decoder-attention-heads 2 "
                            "--decoder-ffn-embed-dim 32")
    runs = [run_script(QUICKSTART, SHARED_DATA, str(tmp_path / "out"), **tiny) for _ in range(2)]
    assert all(run.returncode == 0 for run in runs), runs[-1].stdout[-2000:] + runs[-1].stderr[-2000:]
    assert f"{tmp_path}/out holds a finished run (2 updates of 2): nothing to train" in runs[1].stdout
    perplexities = [line for run in runs for line in run.stdout.splitlines() if line.startswith("test perplexity: ")]
    assert len(perplexities) == 2 and perplexities[0] == perplexities[1]
