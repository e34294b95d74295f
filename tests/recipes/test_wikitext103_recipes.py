"""recipes/wikitext103: every script on a tiny slice, the table, the figure, TensorBoard logs, and bad input."""

import os
import re
import shutil

import pytest
import torch
from matplotlib.container import BarContainer

from recipe_helpers import (REPO_ROOT, SHARED_DATA, assert_png, held_lock, load_script, read_tensorboard_scalars,
                            run_script, stand_in)

RECIPES = os.path.join(REPO_ROOT, "recipes", "wikitext103")


@pytest.fixture(scope="module")
def mini_run(tmp_path_factory):
    """mini.sh on a slice: a truncated Delta Net, a full-context RDN and its truncated twin without positions,
    6 updates each, validated every 2."""
    out_dir = tmp_path_factory.mktemp("mini")
    result = run_script(
        os.path.join(RECIPES, "mini.sh"), SHARED_DATA, str(out_dir), "delta_net", "rdn:full", "rdn:truncated_no_positions",
        TRAIN_LINES="150", EVAL_LINES="60", MAX_UPDATE="6",
        MINI_MODEL_FLAGS="--decoder-embed-dim 32 --validate-interval-updates 2",
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out_dir


def test_mini_table_has_every_evaluation(mini_run):
    table = (mini_run / "table.md").read_text()
    rows = re.findall(r"^\| (\w+) \| tiny \| ([\w, ]+) \| ([a-z ]+) \| 1 \| ([0-9.]+) \| ([0-9.]+) \|", table, re.M)
    assert {(model, mode, evaluation) for model, mode, evaluation, _, _ in rows} == {
        ("delta_net", "truncated", "sliding window"),
        ("rdn", "full", "sliding window"),
        ("rdn", "full", "carried state"),
        ("rdn", "full", "carried state rows"),
        ("rdn", "truncated, no positions", "sliding window"),
    }
    assert all(1 < float(ppl) < 1e5 for *_, valid, test in rows for ppl in (valid, test))


def results_of(run_dir):
    """eval.sh's perplexities of a run: {(split, evaluation): ppl}."""
    fields = [dict(item.split("=", 1) for item in line.split()) for line in (run_dir / "results.txt").read_text().split("\n")
              if line]
    return {(field["split"], field["eval"]): float(field["ppl"]) for field in fields}


def test_length_table_carries_the_state_as_eval_sh_does(mini_run):
    """The length table's training-rows and stream columns are eval.sh's carried-state evaluations of the same run;
    the twin without positions gets its own row."""
    table = (mini_run / "length_table.md").read_text()
    assert table.splitlines()[0] == ("| model | training | decay | seeds | 128 tokens | 512 tokens | 2048 tokens | "
                                     "8192 tokens | training rows | stream |")
    rows = {row[0]: [float(cell) for cell in row[1:]]
            for row in re.findall(r"^\| rdn \| ([\w, ]+) \| 1 \| 1 \| " + r" \| ".join(["([0-9.]+)"] * 6), table, re.M)}
    assert set(rows) == {"full", "truncated, no positions"}
    evaluated = results_of(mini_run / "runs" / "rdn_full_seed1")
    assert rows["full"][4] == evaluated[("test", "carried_state_rows")]
    assert rows["full"][5] == evaluated[("test", "carried_state")]


def test_carried_state_stats_score_as_fairseq_eval_lm_does(mini_run):
    """Scored in-process, the stream and the rows give eval.sh's perplexities; up to the row length both score
    from the same states; every state part is reported."""
    stats = (mini_run / "carried_state_stats_rdn_full_seed1.md").read_text()
    bins = re.findall(r"^\| (\d+)-(\d+|all) \| ([0-9.]+) \| ([0-9.]+) \| ([-+0-9.]+) \|$", stats, re.M)
    row_length = int(re.search(r"rows of (\d+) tokens", stats).group(1))
    within = [delta for start, end, _, _, delta in bins if int(end) <= row_length]
    assert within and all(abs(float(delta)) < 1e-3 for delta in within)
    [(stream, rows)] = re.findall(r"^\| all \| ([0-9.]+) \| ([0-9.]+) \| [-+0-9.]+ \|$", stats, re.M)
    evaluated = results_of(mini_run / "runs" / "rdn_full_seed1")
    assert float(stream) == pytest.approx(evaluated[("test", "carried_state")], abs=0.011)
    assert float(rows) == pytest.approx(evaluated[("test", "carried_state_rows")], abs=0.011)
    assert "| tokens carried | |W| mean / max block | |y| mean / max block | sublayer |output| mean / max block |" in stats


def test_carried_state_stats_name_the_parts_as_the_ops_do(monkeypatch):
    from fwp_kernels.interface import make_example_inputs
    from fwp_kernels.ops import OPS

    monkeypatch.syspath_prepend(RECIPES)  # the script imports its neighbours
    stats = load_script(os.path.join(RECIPES, "carried_state_stats.py"))
    part_names = {model: tuple(part.name for part in OPS[op].state_parts(make_example_inputs(OPS[op])))
                  for model, op in (("delta_rnn", "delta_rnn"), ("delta_lstm", "delta_lstm"), ("rdn", "recurrent_delta_rule"))}
    assert stats.STATE_PART_NAMES == part_names


def test_length_table_refuses_a_run_with_positions(mini_run):
    run_dir = mini_run / "runs" / "delta_net_truncated_seed1"
    result = run_script(os.path.join(RECIPES, "length_table.py"), str(run_dir), "--data", str(mini_run / "data-bin"))
    assert result.returncode == 1
    assert "is a truncated run with positional embeddings" in result.stderr
    assert "-- --no-token-positional-embeddings" in result.stderr


def test_length_table_reuses_the_logs_that_score_the_checkpoint(mini_run, tmp_path):
    """A run directory kept without its checkpoints is tabled from its logs alone; a missing log is evaluated
    again, and every log once the checkpoint is newer than the logs."""
    data, script = str(mini_run / "data-bin"), os.path.join(RECIPES, "length_table.py")
    [full_row] = [line for line in (mini_run / "length_table.md").read_text().splitlines()
                  if line.startswith("| rdn | full |")]
    run_dir, kept = mini_run / "runs" / "rdn_full_seed1", tmp_path / "rdn_full_seed1"
    shutil.copytree(run_dir, kept, ignore=shutil.ignore_patterns("checkpoints"))  # copy2: times kept

    def length_table():
        result = run_script(script, str(kept), "--data", data)
        evaluated = re.findall(r"carried length (\w+) ", result.stderr)
        return result, evaluated

    result, evaluated = length_table()
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines()[2:] == [full_row] and evaluated == []

    (kept / "eval_test_length_512.log").unlink()
    result, _ = length_table()
    assert result.returncode == 1
    assert f"{kept}/checkpoints/checkpoint_best.pt not found and not every evaluation of the run is logged" in result.stderr

    shutil.copytree(run_dir / "checkpoints", kept / "checkpoints")  # older than the logs
    result, evaluated = length_table()
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines()[2:] == [full_row] and evaluated == ["512"]

    newest_log = max(os.path.getmtime(log) for log in kept.glob("eval_test_length_*.log"))
    os.utime(kept / "checkpoints" / "checkpoint_best.pt", (newest_log + 1, newest_log + 1))
    result, evaluated = length_table()
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines()[2:] == [full_row]
    assert evaluated == ["128", "512", "2048", "8192", "train", "stream"]


def test_length_table_scores_the_same_a_few_tokens_at_a_time(mini_run, tmp_path):
    """--softmax-batch 7 (log-probabilities of 7 tokens at a time, many chunks per segment) gives the table's
    perplexities; a count below 1 is refused."""
    data, script = str(mini_run / "data-bin"), os.path.join(RECIPES, "length_table.py")
    [full_row] = [line for line in (mini_run / "length_table.md").read_text().splitlines()
                  if line.startswith("| rdn | full |")]
    run_dir = tmp_path / "rdn_full_seed1"
    shutil.copytree(mini_run / "runs" / "rdn_full_seed1", run_dir, ignore=shutil.ignore_patterns("eval_*_length_*"))
    result = run_script(script, str(run_dir), "--data", data, "--lengths", "512", "stream", "--softmax-batch", "7")
    assert result.returncode == 0, result.stderr[-2000:]
    cells = full_row.split(" | ")
    assert result.stdout.splitlines()[2] == " | ".join(cells[:4] + [cells[5], cells[9]])
    assert re.search(r"'softmax_batch': 7[,}]", (run_dir / "eval_test_length_512.log").read_text())

    result = run_script(script, str(run_dir), "--data", data, "--softmax-batch", "0")
    assert result.returncode == 2 and "--softmax-batch: 0 tokens; give a positive count" in result.stderr


def test_mini_figure_follows_the_training_logs_which_tensorboard_also_holds(mini_run):
    collect = load_script(os.path.join(RECIPES, "collect.py"))
    for run in ("delta_net_truncated_seed1", "rdn_full_seed1"):
        run_dir = mini_run / "runs" / run
        curve = collect.read_valid_curve((run_dir / "train.log").read_text())
        updates = [update for update, _ in curve]
        assert {2, 4, 6} <= set(updates) and updates == sorted(updates)  # and at the end of each epoch
        logged = read_tensorboard_scalars(str(run_dir / "tensorboard" / "valid"), "ppl")
        assert [update for update, _ in logged] == updates
        assert [ppl for _, ppl in curve] == pytest.approx([ppl for _, ppl in logged], rel=1e-5)
        assert read_tensorboard_scalars(str(run_dir / "tensorboard" / "train"), "ppl")
    assert_png(mini_run / "figure.png")


def updates_of(run_dir):
    checkpoint = torch.load(os.path.join(run_dir, "checkpoints", "checkpoint_last.pt"), map_location="cpu",
                            weights_only=False)
    return checkpoint["optimizer_history"][-1]["num_updates"]


def test_rerun_resumes_and_a_different_configuration_is_refused(mini_run, tmp_path):
    data, run_dir = str(mini_run / "data-bin"), str(mini_run / "runs" / "delta_net_truncated_seed1")
    # "delta" is the old spelling of delta_net: the same run, finished (fairseq-train would add an update)
    def command(out, max_update, seed="1"):
        return [os.path.join(RECIPES, "train.sh"), "--model", "delta", "--size", "tiny", "--gpus", "0", "--data", data,
                "--out", str(out), "--max-update", max_update, "--seed", seed, "--", "--decoder-embed-dim", "32",
                "--validate-interval-updates", "2"]
    same = run_script(*command(run_dir, "6"))
    assert same.returncode == 0, same.stderr[-2000:]
    assert f"{run_dir} holds a finished run (6 updates of 6): nothing to train" in same.stdout
    assert updates_of(run_dir) == 6
    other = run_script(os.path.join(RECIPES, "train.sh"), "--model", "rdn", "--size", "tiny", "--gpus", "0",
                       "--data", data, "--out", run_dir)
    assert other.returncode == 1
    assert f"{run_dir} holds another run (model=delta_net" in other.stderr
    other_seed = run_script(*command(run_dir, "6", seed="2"))
    assert other_seed.returncode == 1
    assert f"{run_dir} holds another run (model=delta_net" in other_seed.stderr
    script, *args = command(run_dir, "6", seed="2")
    dry_run = run_script(script, "--dry-run", *args)
    assert " --seed 2 " in dry_run.stdout

    # The same run stopped at 6 of 8 updates: it resumes from its last checkpoint.
    stopped = tmp_path / "stopped"
    shutil.copytree(run_dir, stopped)
    config = (stopped / "run_config.txt").read_text()
    (stopped / "run_config.txt").write_text(config.replace("max_update=6", "max_update=8"))
    resumed = run_script(*command(stopped, "8"))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert re.search(r"Loaded checkpoint .*checkpoint_last.pt \(epoch \d+ @ 6 updates\)", resumed.stdout)
    assert updates_of(stopped) == 8


def test_collect_puts_the_paper_numbers_beside_small_runs(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "run_config.txt").write_text("model=delta_rnn size=small mode=full segments_per_update=96\n")
    (run_dir / "results.txt").write_text("split=valid eval=carried_state ppl=31.9\n"
                                         "split=test eval=carried_state ppl=32.7\n"
                                         "split=test eval=sliding_window ppl=34.0\n")
    result = run_script(os.path.join(RECIPES, "collect.py"), str(run_dir))
    assert result.returncode == 0, result.stderr
    assert "| delta_rnn | small | full | carried state | 1 | 31.9 | 32.7 | 32.8 |" in result.stdout
    # the paper's full-context number is a carried-state one: none beside the sliding window
    assert "| delta_rnn | small | full | sliding window | 1 |  | 34.0 |  |" in result.stdout


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
    assert "| delta_net | tiny | truncated | sliding window | 1 |  | 250.1 |  |" in result.stdout
    assert_png(tmp_path / "figure.png")

    collect = load_script(os.path.join(RECIPES, "collect.py"))
    curves, tests = collect.perplexity_figure([collect.read_run(run_dir) for run_dir in run_dirs]).axes
    [line] = curves.lines  # delta_net_tiny has no train.log
    assert line.get_label() == "delta_rnn_full" and line.get_xydata().tolist() == [[50, 530.04], [100, 294.07]]
    ours, paper = tests.containers
    assert [bar.get_width() for bar in ours] == [32.7, 34.0, 250.1]
    assert [bar.get_width() for bar in paper] == [32.8]  # only beside the small run's carried-state row
    assert [label.get_text() for label in tests.get_yticklabels()] == [
        "delta_rnn_full, carried state", "delta_rnn_full, sliding window", "delta_net_tiny, sliding window"]


def test_collect_gives_the_mean_and_spread_over_seeds(tmp_path):
    """Three seeds of one run make one row (mean, standard deviation with n - 1); another run stays apart."""
    test_ppl = {1: "250.0", 2: "254.0", 3: "258.5"}
    for seed, ppl in test_ppl.items():
        run_dir = tmp_path / f"rdn_full_seed{seed}"
        run_dir.mkdir()
        seed_field = "" if seed == 1 else f" seed={seed}"  # train.sh names only a seed other than 1
        (run_dir / "run_config.txt").write_text(f"model=rdn size=tiny mode=full{seed_field} extra=--dropout 0.1\n")
        (run_dir / "results.txt").write_text(f"split=test eval=carried_state ppl={ppl}\n"
                                             + ("split=valid eval=carried_state ppl=260.0\n" if seed < 3 else ""))
        (run_dir / "train.log").write_text(
            f"| valid on 'valid' subset | loss 8 | ppl {300 + seed} | num_updates 50\n"
            + (f"| valid on 'valid' subset | loss 8 | ppl {280 + seed} | num_updates 100\n" if seed < 3 else ""))
    other = tmp_path / "rdn_truncated_seed1"
    other.mkdir()
    (other / "run_config.txt").write_text("model=rdn size=tiny mode=truncated extra=--dropout 0.1\n")
    (other / "results.txt").write_text("split=test eval=sliding_window ppl=240.00\n")
    run_dirs = sorted(str(path) for path in tmp_path.iterdir())
    result = run_script(os.path.join(RECIPES, "collect.py"), *run_dirs, "--figure", str(tmp_path / "figure.png"))
    assert result.returncode == 0, result.stderr
    # test: mean 254.17, sd sqrt(((-4.17)^2 + 0.17^2 + 4.33^2) / 2) = 4.25; valid: two seeds, both 260.0
    assert "| rdn | tiny | full | carried state | 3 | 260.00 ± 0.00 | 254.17 ± 4.25 |  |" in result.stdout
    assert "| rdn | tiny | truncated | sliding window | 1 |  | 240.00 |  |" in result.stdout

    collect = load_script(os.path.join(RECIPES, "collect.py"))
    curves, tests = collect.perplexity_figure([collect.read_run(run_dir) for run_dir in run_dirs]).axes
    [line] = curves.lines  # the mean over the seeds at the update every seed validated at
    assert line.get_label() == "rdn_full" and line.get_xydata().tolist() == [[50, 302.0]]
    [bars] = [container for container in tests.containers if isinstance(container, BarContainer)]
    assert [bar.get_width() for bar in bars] == pytest.approx([254.1667, 240.0], abs=1e-4)
    error_bar_ends = bars.errorbar.lines[2][0].get_segments()[0][:, 0]
    assert error_bar_ends == pytest.approx([254.1667 - 4.2525, 254.1667 + 4.2525], abs=1e-3)


def test_collect_names_the_flags_that_set_a_row_apart(tmp_path):
    """Runs of one model trained with different fairseq flags make rows named by the flags not all runs share."""
    runs = {"linear_transformer_truncated": "--dropout 0.1",
            "linear_transformer_normalised": "--dropout 0.1 --attn-normalize",
            "rdn_truncated_no_positions": "--dropout 0.1 --no-token-positional-embeddings --feature-map elu1"}
    for name, extra in runs.items():
        (tmp_path / name).mkdir()
        model = name.split("_truncated")[0].split("_normalised")[0]
        (tmp_path / name / "run_config.txt").write_text(f"model={model} size=tiny mode=truncated extra={extra}\n")
        (tmp_path / name / "results.txt").write_text("split=test eval=sliding_window ppl=250.0\n")
    run_dirs = [str(tmp_path / name) for name in runs]
    result = run_script(os.path.join(RECIPES, "collect.py"), *run_dirs)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[2:] == [
        "| linear_transformer | tiny | truncated | sliding window | 1 |  | 250.0 |  |",
        "| linear_transformer --attn-normalize | tiny | truncated | sliding window | 1 |  | 250.0 |  |",
        "| rdn --feature-map elu1 | tiny | truncated, no positions | sliding window | 1 |  | 250.0 |  |"]

    collect = load_script(os.path.join(RECIPES, "collect.py"))
    _, tests = collect.perplexity_figure([collect.read_run(run_dir) for run_dir in run_dirs]).axes
    assert [label.get_text() for label in tests.get_yticklabels()] == [
        "linear_transformer_truncated, sliding window",
        "linear_transformer_normalised --attn-normalize, sliding window",
        "rdn_truncated_no_positions --feature-map elu1, sliding window"]


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


@pytest.mark.parametrize("args, message", [
    (["--gpus", "abc"], "--gpus must be a whole number >= 0 (the number of GPUs; 0: the CPU), got 'abc'"),
    (["--gpus", "-1"], "--gpus must be a whole number >= 0 (the number of GPUs; 0: the CPU), got '-1'"),
    (["--batch-per-gpu", "0"], "--batch-per-gpu must be a whole number >= 1 (segments per GPU and step), got '0'"),
    (["--max-update", "0"], "--max-update must be a whole number >= 1 (fairseq reads 0 as no limit), got '0'"),
    (["--max-update", "1e5"], "--max-update must be a whole number >= 1 (fairseq reads 0 as no limit), got '1e5'"),
    (["--seed", "x"], "--seed must be a whole number >= 0 (fairseq's random seed), got 'x'"),
    (["--gpus", "--dry-run"], "--gpus needs a value (got the option --dry-run)"),
    (["--out"], "--out needs a value"),
    (["--", "--max-epoch", "0"], "--max-epoch must be a whole number >= 1 (fairseq reads 0 as no limit), got '0'"),
])
def test_train_names_bad_numbers_and_missing_values(tmp_path, args, message):
    result = run_script(os.path.join(RECIPES, "train.sh"), "--model", "delta_net", "--size", "tiny",
                        "--data", str(tmp_path), "--out", str(tmp_path / "out"), *args)
    assert result.returncode == 1 and f"error: {message}" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_run_that_never_wrote_a_checkpoint_is_taken_over(mini_run, tmp_path):
    run_dir = tmp_path / "run"
    command = [os.path.join(RECIPES, "train.sh"), "--model", "delta_net", "--size", "tiny", "--gpus", "0",
               "--data", str(mini_run / "data-bin"), "--out", str(run_dir), "--max-update", "1", "--",
               "--decoder-embed-dim", "32"]
    typo = run_script(*command, "--decoder-layerz", "1")
    assert typo.returncode != 0 and "unrecognized arguments: --decoder-layerz 1" in typo.stdout
    fixed = run_script(*command, "--decoder-layers", "1")
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    assert re.search(rf"note: taking over {run_dir}: its run \(model=delta_net .* extra=--decoder-embed-dim 32 "
                     rf"--decoder-layerz 1\) never wrote a checkpoint; its files are in {run_dir}/abandoned-",
                     fixed.stderr)
    [abandoned] = run_dir.glob("abandoned-*")
    assert "unrecognized arguments" in (abandoned / "train.log").read_text()
    assert "unrecognized arguments" not in (run_dir / "train.log").read_text()
    assert (run_dir / "run_config.txt").read_text().endswith("extra=--decoder-embed-dim 32 --decoder-layers 1\n")
    assert (run_dir / "checkpoints" / "checkpoint_last.pt").exists()


def test_a_run_directory_is_locked_for_the_whole_run(mini_run, tmp_path):
    run_dir = tmp_path / "run"
    command = [os.path.join(RECIPES, "train.sh"), "--model", "delta_net", "--size", "tiny", "--gpus", "0",
               "--data", str(mini_run / "data-bin"), "--out", str(run_dir)]
    # A stand-in fairseq-train reports whether the run directory is locked while it runs.
    fake = stand_in(tmp_path / "bin", "fairseq-train", f"flock -n {run_dir}/.lock true && echo unlocked || echo locked\n")
    assert run_script(*command, path_first=[fake]).stdout == "locked\n"
    with held_lock(run_dir / ".lock"):  # a run still going there
        second = run_script(*command, path_first=[fake])
    assert second.returncode == 1
    assert f"error: {run_dir} is in use by another run (process " in second.stderr
    assert "recipes/wikitext103/train.sh): wait for it to end, or pick another directory" in second.stderr
    assert second.stdout == ""


@pytest.mark.parametrize("config, args, message", [
    ("task=code_execution model=lstm setting=small data=/d max_epoch=2 seed=1 extra=", [],
     "{out} is a run of recipes/code_execution/run.sh (task=code_execution), which scores its checkpoint itself"),
    ("model=delta_net size=tiny mode=truncated", ["--split", "bogus"], "unknown split 'bogus'; choose test or valid"),
    ("model=delta_net size=tiny mode=truncated", ["--split"], "--split needs a value"),
    ("model=delta_net size=tiny mode=truncated", ["--gpus", "two"], "--gpus must be a whole number >= 0"),
])
def test_eval_names_what_it_cannot_score(tmp_path, config, args, message):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run_config.txt").write_text(config + "\n")
    result = run_script(os.path.join(RECIPES, "eval.sh"), "--data", str(tmp_path), "--out", str(tmp_path / "run"),
                        *args)
    assert result.returncode == 1 and message.format(out=tmp_path / "run") in result.stderr


def write_raw(raw, first_line=0, lines=40):
    raw.mkdir(exist_ok=True)
    with open(os.path.join(SHARED_DATA, "wiki.valid.tokens")) as source:
        text = "".join(source.readlines()[first_line:first_line + lines])
    for split in ("train", "valid", "test"):
        (raw / f"wiki.{split}.tokens").write_text(text)


def test_prepare_keeps_its_data_and_refuses_data_made_from_other_files(tmp_path):
    write_raw(tmp_path / "raw")
    prepare = [os.path.join(RECIPES, "prepare.sh"), str(tmp_path / "raw"), str(tmp_path / "bin"), "--skip-count-check"]
    assert run_script(*prepare).returncode == 0
    assert "was made from these files: keeping it" in run_script(*prepare).stdout
    write_raw(tmp_path / "raw", first_line=40)
    other = run_script(*prepare)
    assert other.returncode == 1
    assert f"{tmp_path}/bin was made from other files (RAW_DIR={tmp_path}/raw) than those in" in other.stderr


def test_prepare_redoes_an_interrupted_run(tmp_path):
    write_raw(tmp_path / "raw")
    prepare = [os.path.join(RECIPES, "prepare.sh"), str(tmp_path / "raw"), str(tmp_path / "bin"), "--skip-count-check"]
    killed = stand_in(tmp_path / "fake", "fairseq-preprocess",
                      'while [ $# -gt 0 ]; do [ "$1" = --destdir ] && dest=$2; shift; done\n'
                      'echo "a 1" > "$dest/dict.txt"; kill -KILL $PPID; sleep 1\n')
    assert run_script(*prepare, path_first=[killed]).returncode != 0
    assert not (tmp_path / "bin").exists() and list(tmp_path.glob("bin.partial.*"))
    result = run_script(*prepare)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "bin" / "test.bin").exists() and not list(tmp_path.glob("bin.partial.*"))

    (tmp_path / "old").mkdir()  # what an older version left when interrupted: no test split
    (tmp_path / "old" / "dict.txt").write_text("a 1\n")
    incomplete = run_script(os.path.join(RECIPES, "prepare.sh"), str(tmp_path / "raw"), str(tmp_path / "old"),
                            "--skip-count-check")
    assert incomplete.returncode == 1 and f"{tmp_path}/old is incomplete" in incomplete.stderr


@pytest.mark.parametrize("content", [None, b"not a zip"])
def test_prepare_leaves_no_download_behind_when_it_fails(tmp_path, content):
    url = f"file://{tmp_path}/wikitext-103.zip"
    if content is not None:
        (tmp_path / "wikitext-103.zip").write_bytes(content)
    (tmp_path / "tmp").mkdir()
    result = run_script(os.path.join(RECIPES, "prepare.sh"), str(tmp_path / "raw"), str(tmp_path / "bin"),
                        "--url", url, TMPDIR=str(tmp_path / "tmp"))
    assert result.returncode == 1
    assert ("download of" if content is None else "is not a zip holding") in result.stderr
    assert os.listdir(tmp_path / "tmp") == [] and os.listdir(tmp_path / "raw") == [".download.lock"]


def test_prepare_names_an_empty_file_and_a_missing_url(tmp_path):
    write_raw(tmp_path / "raw")
    (tmp_path / "raw" / "wiki.valid.tokens").write_text("")
    empty = run_script(os.path.join(RECIPES, "prepare.sh"), str(tmp_path / "raw"), str(tmp_path / "bin"),
                       "--skip-count-check")
    assert empty.returncode == 1 and "wiki.valid.tokens is empty (no words)" in empty.stderr
    no_url = run_script(os.path.join(RECIPES, "prepare.sh"), str(tmp_path / "raw"), str(tmp_path / "bin"), "--url")
    assert no_url.returncode == 1 and "error: --url needs a value" in no_url.stderr
