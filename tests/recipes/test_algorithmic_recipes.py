"""recipes/code_execution and recipes/listops: generate -> train -> evaluate -> table and figure on
tiny data, TensorBoard logs, resuming, and bad input."""

import os
import re
import statistics

import pytest

from recipe_helpers import RECIPES, assert_png, load_script, read_tensorboard_scalars, run_script

CODE_EXECUTION_RUN = os.path.join(RECIPES, "code_execution", "run.sh")
LISTOPS_RUN = os.path.join(RECIPES, "listops", "run.sh")


def assert_succeeded(result):
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def read_results(run_dir):
    """results.txt as {split: {metric: value}}."""
    rows = {}
    for line in (run_dir / "results.txt").read_text().splitlines():
        fields = dict(item.split("=", 1) for item in line.split())
        split = fields.pop("split")
        rows[split] = {name: float(value) for name, value in fields.items()}
    return rows


@pytest.fixture(scope="module")
def code_execution_small(tmp_path_factory):
    """small.sh for an LSTM and a Delta RNN, two epochs each, on a tiny dataset made beforehand
    (small.sh uses the dataset it finds in OUT_DIR/data)."""
    out_dir = tmp_path_factory.mktemp("code_execution_small")
    assert_succeeded(run_script(
        "-m", "fwp_plugin.data.code_execution", "--num-vars", "3", "--num-statements", "10",
        "--train-size", "40", "--valid-size", "10", "--test-size", "10", "--out", str(out_dir / "data"),
    ))
    small = os.path.join(RECIPES, "code_execution", "small.sh")
    assert_succeeded(run_script(small, str(out_dir), "lstm", "delta_rnn", MAX_EPOCH="2"))
    return out_dir


def test_small_setting_trains_evaluates_and_tabulates(code_execution_small):
    for model in ("lstm", "delta_rnn"):
        scores = read_results(code_execution_small / "runs" / f"{model}_seed1")
        assert set(scores) == {"valid", "test"}
        for split in scores.values():
            assert {"seq_acc", "print_acc", "token_acc"} <= set(split)
            assert all(0 <= split[name] <= 100 for name in ("seq_acc", "print_acc", "token_acc"))
    table = (code_execution_small / "table.md").read_text()
    rows = re.findall(r"^\| (\w+) \| (\d+)K \| 2 \| [0-9.]+ min \| [0-9.]+ → [0-9.]+ \| ([0-9.]+) \| ([0-9.]+) "
                      r"\| ([0-9.]+) \|$", table, re.M)
    assert [row[0] for row in rows] == ["lstm", "delta_rnn"]
    assert re.search(r"Majority-class baseline on .*/data: print_acc [0-9.]+ \(always -?\d+\); seq_acc ~0", table)


def test_small_setting_draws_the_validation_curves_of_the_training_logs(code_execution_small):
    algorithmic_table = load_script(os.path.join(RECIPES, "lib", "algorithmic_table.py"))
    runs = []
    for model in ("lstm", "delta_rnn"):
        run_dir = code_execution_small / "runs" / f"{model}_seed1"
        log = (run_dir / "train.log").read_text()
        for metric in ("print_acc", "token_acc"):
            curve = algorithmic_table.read_valid_curve(log, metric)
            assert [epoch for epoch, _ in curve] == [1, 2]
            logged = read_tensorboard_scalars(str(run_dir / "tensorboard" / "valid"), metric)
            assert [value for _, value in curve] == pytest.approx([value for _, value in logged], abs=0.005)
        runs.append(algorithmic_table.read_run(str(run_dir)))
    figure = algorithmic_table.accuracy_figure(runs)
    assert [(line.get_label(), line.get_xydata().tolist()) for line in figure.axes[0].lines] == [
        (run["config"]["model"], [list(point) for point in run["curve"]]) for run in runs]
    assert_png(code_execution_small / "figure.png")


def test_rerun_resumes_and_another_run_directory_is_refused(code_execution_small):
    data, run_dir = str(code_execution_small / "data"), str(code_execution_small / "runs" / "lstm_seed1")
    same = run_script(CODE_EXECUTION_RUN, "--model", "lstm", "--setting", "small", "--cpu", "--max-epoch", "2",
                      "--data", data, "--out", run_dir)
    assert_succeeded(same)
    assert re.search(r"Loaded checkpoint .*checkpoint_last.pt \(epoch 3 @ \d+ updates\)", same.stdout)
    other = run_script(CODE_EXECUTION_RUN, "--model", "rdn", "--setting", "small", "--cpu", "--data", data,
                       "--out", run_dir)
    assert other.returncode == 1
    assert f"{run_dir} holds another run (task=code_execution model=lstm" in other.stderr


def test_levels_train_each_model_per_level_and_seed_and_tabulate_the_mean_and_sd(tmp_path):
    """algorithmic_levels.sh (what claims.sh runs) at two ListOps depths, two seeds, on tiny data made
    beforehand: a run per (level, seed), each with its seed; one table row per level with the mean and
    standard deviation of the seeds' test accuracies and each seed's; a figure line per row."""
    for depth in (2, 3):
        assert_succeeded(run_script(
            "-m", "fwp_plugin.data.listops", "--depth", str(depth), "--train-size", "24", "--valid-size", "8",
            "--test-size", "8", "--out", str(tmp_path / f"depth_{depth}" / "data")))
    levels = os.path.join(RECIPES, "lib", "algorithmic_levels.sh")
    assert_succeeded(run_script(levels, "listops", str(tmp_path), "--depth", "2 3", "transformer", SEEDS="1 2", MAX_EPOCH="1"))
    table = (tmp_path / "table.md").read_text()
    for depth in (2, 3):
        runs = [tmp_path / f"depth_{depth}" / "runs" / f"transformer_seed{seed}" for seed in (1, 2)]
        assert [f"seed={seed} " in (run / "run_config.txt").read_text() for seed, run in zip((1, 2), runs)] == [True] * 2
        accuracies = [read_results(run)["test"]["acc"] for run in runs]
        row = re.search(rf"^\| transformer \| depth {depth} \| 2 \| \d+K \| 1 \| [0-9.]+ min \| [0-9.]+ "
                        rf"\| ([0-9.]+) ± ([0-9.]+) \| (.*) \|$", table, re.M)
        assert row, table
        assert float(row[1]) == pytest.approx(statistics.fmean(accuracies), abs=0.05)
        assert float(row[2]) == pytest.approx(statistics.stdev(accuracies), abs=0.05)
        assert [float(value) for value in row[3].split(", ")] == accuracies
        assert (tmp_path / f"depth_{depth}" / "table.md").is_file()
    assert table.count("Majority-class baseline on") == 2
    algorithmic_table = load_script(os.path.join(RECIPES, "lib", "algorithmic_table.py"))
    runs = [algorithmic_table.read_run(str(tmp_path / f"depth_{depth}" / "runs" / f"transformer_seed{seed}"))
            for depth in (2, 3) for seed in (1, 2)]
    labels = [line.get_label() for line in algorithmic_table.accuracy_figure(runs).axes[0].lines]
    assert labels == ["transformer, depth 2", "transformer, depth 3"]
    assert_png(tmp_path / "figure.png")


def test_listops_run_generates_its_data_then_trains_and_evaluates(tmp_path):
    run_dir = tmp_path / "run"
    result = run_script(LISTOPS_RUN, "--model", "transformer", "--depth", "2", "--setting", "small", "--cpu",
                        "--max-epoch", "1", "--out", str(run_dir), "--", "--max-update", "2")
    assert_succeeded(result)
    assert "--depth 2 " in (run_dir / "data" / "generation.txt").read_text()
    assert "split sizes: train 2000, valid 200, test 200" in result.stdout
    scores = read_results(run_dir)
    assert set(scores) == {"valid", "test"} and all(0 <= split["acc"] <= 100 for split in scores.values())


@pytest.mark.parametrize(
    "args,message",
    [
        (["--model", "gru", "--out", "OUT"], "unknown model 'gru'; choose one of transformer, linear_transformer, delta_net, delta_mlp, delta_delta, delta_rnn, delta_lstm, rdn, lstm"),
        (["--model", "lstm", "--setting", "huge", "--out", "OUT"], "unknown setting 'huge'; choose paper or small"),
        (["--model", "lstm", "--data", "OUT", "--out", "OUT/run"],
         "OUT/dict.src.txt not found: --data is a directory written by python -m fwp_plugin.data.code_execution"),
        (["--model", "lstm"], "--out is required"),
        (["--model", "lstm", "--out", "OUT", "--epochs", "3"], "unknown option --epochs"),
        (["--model", "lstm", "--out", "OUT/run", "--max-epoch", "0"],
         "--max-epoch must be a whole number >= 1 (fairseq reads 0 as no limit), got '0'"),
        (["--model", "lstm", "--out", "OUT/run", "--seed", "-1"],
         "--seed must be a whole number from 0 to 4294967295 (NumPy's seed range), got '-1'"),
        (["--model", "lstm", "--out", "OUT/run", "--max-epoch"], "--max-epoch needs a value"),
        (["--model", "--out", "OUT/run"], "--model needs a value (got the option --out)"),
        (["--model", "lstm", "--out", "OUT/run", "--", "--max-update=0"],
         "--max-update must be a whole number >= 1 (fairseq reads 0 as no limit), got '0'"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(tmp_path, args, message):
    (tmp_path / "data").mkdir()  # an existing directory without a dataset
    args = [arg.replace("OUT", str(tmp_path / "data")) for arg in args]
    result = run_script(CODE_EXECUTION_RUN, *args)
    assert result.returncode == 1
    assert message.replace("OUT", str(tmp_path / "data")) in result.stderr
    assert os.listdir(tmp_path / "data") == []  # nothing made: no run directory, no data


def generate(task, out, *flags):
    assert_succeeded(run_script("-m", f"fwp_plugin.data.{task}", *flags, "--train-size", "6", "--valid-size", "3",
                                "--test-size", "3", "--out", str(out)))


def test_a_dataset_of_the_other_task_is_named(tmp_path):
    generate("listops", tmp_path / "listops", "--depth", "2")
    result = run_script(CODE_EXECUTION_RUN, "--model", "lstm", "--data", str(tmp_path / "listops"),
                        "--out", str(tmp_path / "run"))
    assert result.returncode == 1
    assert (f"{tmp_path}/listops holds another task's data set ({tmp_path}/listops/generation.txt: python -m "
            "fwp_plugin.data.listops, for recipes/listops/run.sh)") in result.stderr
    assert not (tmp_path / "run").exists()
    (tmp_path / "listops" / "generation.txt").unlink()  # a data set from before generation.txt
    result = run_script(CODE_EXECUTION_RUN, "--model", "lstm", "--data", str(tmp_path / "listops"),
                        "--out", str(tmp_path / "run"))
    assert result.returncode == 1
    assert f"{tmp_path}/listops looks like a data set of recipes/listops/run.sh" in result.stderr


def test_a_dataset_generated_with_other_settings_is_refused(tmp_path):
    generate("code_execution", tmp_path / "run" / "data", "--num-vars", "3", "--num-statements", "20")
    # The recipe's own RUN_DIR/data: every setting must match (here --num-vars, default 5).
    own = run_script(CODE_EXECUTION_RUN, "--model", "lstm", "--setting", "small", "--out", str(tmp_path / "run"))
    assert own.returncode == 1
    assert (f"{tmp_path}/run/data was generated with --num-vars 3 ({tmp_path}/run/data/generation.txt), not "
            f"--num-vars 5: use another --out, or delete {tmp_path}/run/data to generate it anew") in own.stderr
    # --data: the generator options given on the command line must match.
    given = run_script(CODE_EXECUTION_RUN, "--model", "lstm", "--num-vars", "5", "--data", str(tmp_path / "run" / "data"),
                       "--out", str(tmp_path / "other"))
    assert given.returncode == 1
    assert "give --data a data set generated with --num-vars 5, or leave --num-vars out" in given.stderr
    assert sorted(os.listdir(tmp_path)) == ["run"] and os.listdir(tmp_path / "run") == ["data"]


def test_listops_data_from_another_sampler_is_refused(tmp_path):
    """The recipe trains on the published distribution: data of the capped sampler, or from before the sampler
    was recorded (drawn by the capped one), is refused, as RUN_DIR/data and as --data."""
    generate("listops", tmp_path / "capped", "--depth", "2", "--sampler", "capped")
    given = run_script(LISTOPS_RUN, "--model", "lstm", "--data", str(tmp_path / "capped"), "--out", str(tmp_path / "a"))
    assert given.returncode == 1
    assert (f"{tmp_path}/capped was generated with --sampler capped ({tmp_path}/capped/generation.txt), not --sampler "
            "published: recipes/listops/run.sh trains on data generated with --sampler published") in given.stderr
    generate("listops", tmp_path / "run" / "data", "--depth", "2")
    generation = tmp_path / "run" / "data" / "generation.txt"
    generation.write_text(generation.read_text().replace(" --sampler published", ""))  # written before --sampler
    own = run_script(LISTOPS_RUN, "--model", "lstm", "--depth", "2", "--setting", "small", "--out", str(tmp_path / "run"))
    assert own.returncode == 1
    assert f"{tmp_path}/run/data was generated with --sampler (unset) ({generation}), not --sampler published" in own.stderr


def test_small_refuses_zero_epochs(tmp_path):
    result = run_script(os.path.join(RECIPES, "code_execution", "small.sh"), str(tmp_path / "out"), MAX_EPOCH="0")
    assert result.returncode == 1
    assert "MAX_EPOCH must be a whole number >= 1 (epochs per model; fairseq reads 0 as no limit)" in result.stderr
    assert not (tmp_path / "out").exists()


def test_scripts_print_their_usage():
    for script in (CODE_EXECUTION_RUN, LISTOPS_RUN):
        result = run_script(script)
        assert result.returncode == 2 and "--model MODEL --out RUN_DIR" in result.stderr
    for task in ("code_execution", "listops"):
        result = run_script(os.path.join(RECIPES, task, "claims.sh"))
        assert result.returncode == 2 and f"bash recipes/{task}/claims.sh OUT_DIR" in result.stderr
    result = run_script(os.path.join(RECIPES, "lib", "algorithmic_levels.sh"))
    assert result.returncode == 2 and "TASK OUT_DIR OPTION" in result.stderr
