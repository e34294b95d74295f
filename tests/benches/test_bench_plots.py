"""benchmarks/bench_*.py --plot: each draws the table it prints (tiny sizes; bench_memory's and bench_rl's
measurements, minutes of work, replaced by fixed numbers)."""

import sys

import matplotlib.image
import pytest

from benchmarks import bench_layers, bench_memory, bench_ops, bench_recurrent, bench_reset, bench_rl, plots


@pytest.fixture
def run_bench(monkeypatch, capsys, tmp_path):
    """run_bench(module, *args): module.main() with args and --plot; returns the printed table's rows (lists of
    cells) and the bars drawn, {(panel axis label, series): {row label: bar length}}, after checking the PNG."""

    def run(module, *args):
        figures = []
        draw = plots.bar_figure

        def recording_bar_figure(*draw_args, **draw_kwargs):
            figures.append(draw(*draw_args, **draw_kwargs))
            return figures[-1]

        monkeypatch.setattr(plots, "bar_figure", recording_bar_figure)
        path = tmp_path / "plot.png"
        monkeypatch.setattr(sys, "argv", [module.__name__, *args, "--plot", str(path)])
        module.main()
        image = matplotlib.image.imread(path)
        assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 300
        rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
                for line in capsys.readouterr().out.splitlines() if line.startswith("| ")][1:]  # less the header
        [figure] = figures
        labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
        bars = {}
        for axes in figure.axes:
            for container in axes.containers:
                bars[axes.get_xlabel(), container.get_label()] = {
                    labels[round(bar.get_y() + bar.get_height() / 2)]: bar.get_width() for bar in container}
        return rows, bars

    return run


def assert_drawn(bars, series, table_column):
    """The bars of one series are the table's column {row label: cell}, to the cell's printed precision;
    a cell without a number ("skipped", "") has no bar."""
    numbers = {row: cell for row, cell in table_column.items() if cell not in ("", "skipped")}
    assert set(bars[series]) == set(numbers)
    for row, cell in numbers.items():
        decimals = len(cell.split(".")[1]) if "." in cell else 0
        assert bars[series][row] == pytest.approx(float(cell.replace(",", "")), abs=0.5 * 10**-decimals + 1e-9)


def test_bench_ops(run_bench):
    rows, bars = run_bench(bench_ops, "--T", "16", "32", "--batch", "1", "--heads", "1", "--head-dim", "4",
                           "--chunk-size", "8", "--repeats", "1", "--step-loop-repeats", "1", "--threads", "1",
                           "--step-loop-backward-max-T", "16")
    assert len(rows) == 4 and rows[3][6] == "skipped"
    for (panel, form), column in {("forward (ms)", "chunkwise"): 2, ("forward (ms)", "step loop"): 3,
                                  ("forward+backward (ms)", "chunkwise"): 5,
                                  ("forward+backward (ms)", "step loop"): 6}.items():
        assert_drawn(bars, (panel, form), {f"{row[0]}, T={row[1]}": row[column] for row in rows})


def test_bench_recurrent(run_bench):
    rows, bars = run_bench(bench_recurrent, "--T", "16", "--head-dim", "4", "--batch", "1", "--heads", "1",
                           "--chunk-size", "8", "--repeats", "1", "--threads", "1")
    assert len(rows) == 3
    for (panel, form), column in {("forward (ms)", "fast"): 3, ("forward (ms)", "step loop"): 4,
                                  ("forward+backward (ms)", "fast"): 6,
                                  ("forward+backward (ms)", "step loop"): 7}.items():
        assert_drawn(bars, (panel, form), {f"{row[0]}, D={row[1]}, T={row[2]}": row[column] for row in rows})


def test_bench_reset(run_bench):
    rows, bars = run_bench(bench_reset, "--T", "16", "--batch", "2", "--heads", "1", "--head-dim", "4",
                           "--chunk-size", "8", "--repeats", "1", "--threads", "1", "--ops", "delta_rule", "delta_rnn")
    assert len(rows) == 2
    for form, column in {"fast": 2, "fast with reset": 3, "step loop with reset": 5}.items():
        assert_drawn(bars, ("forward+backward (ms)", form), {f"{row[0]}, T={row[1]}": row[column] for row in rows})


def test_bench_layers(run_bench):
    rows, bars = run_bench(bench_layers, "--batch", "1", "--length", "8", "--repeats", "1", "--threads", "1")
    assert rows[0][0] == "transformer" and rows[0][1] == ""  # no single-block row for fairseq's Transformer
    assert_drawn(bars, ("one small block: tokens/s", "block"), {row[0]: row[1] for row in rows})
    assert_drawn(bars, ("tiny LM: tokens/s", "tiny LM"), {row[0]: row[3] for row in rows})


def test_bench_memory(run_bench, monkeypatch):
    monkeypatch.setattr(bench_memory, "measure", lambda model, size, segments: (44_000_000, 4.8e8 + len(model) * 1e7))
    rows, bars = run_bench(bench_memory, "--sizes", "small", "--models", "delta_net", "rdn")
    assert [row[:3] for row in rows] == [["delta_net", "small", "44.0M"], ["rdn", "small", "44.0M"]]
    labels = {f"{row[0]}, {row[1]}": row for row in rows}
    assert_drawn(bars, ("GB", "weights + grads + Adam"), {label: row[3] for label, row in labels.items()})
    assert_drawn(bars, ("GB", "activations per segment"), {label: row[4] for label, row in labels.items()})
    assert_drawn(bars, ("one of 4 GPUs, 24 (small) / 14 (medium) segments: GB", "total"),
                 {label: row[5] for label, row in labels.items()})


def test_bench_rl(run_bench, monkeypatch):
    monkeypatch.setattr(bench_rl, "quiet_library_logs", lambda: None)
    monkeypatch.setattr(bench_rl, "steps_per_second", lambda args, core, actors: 1000.0 * (actors + 1) + len(core))
    rows, bars = run_bench(bench_rl, "--cores", "lstm", "delta", "--actors", "0", "2")
    assert [row[:3] for row in rows] == [["lstm", "0", "1,004"], ["lstm", "2", "3,004"],
                                         ["delta", "0", "1,005"], ["delta", "2", "3,005"]]
    for actors in ("0", "2"):
        assert_drawn(bars, ("agent steps/s", f"{actors} actor processes"),
                     {row[0]: row[2] for row in rows if row[1] == actors})
