"""Print the perplexities of several runs as a markdown table beside the paper's numbers.

    python recipes/wikitext103/collect.py RUN_DIR [RUN_DIR ...]

Each RUN_DIR is a run of recipes/wikitext103/train.sh evaluated by eval.sh
(its run_config.txt and results.txt are read).
"""

import argparse
import os
import sys

# WikiText-103 test perplexity, small setting (MODELS.md); full-context rows are separate.
PAPER_TEST_PPL = {
    ("transformer", "truncated"): "34.1", ("linear_transformer", "truncated"): "38.3",
    ("delta_net", "truncated"): "35.2", ("delta_mlp", "truncated"): "36.8",
    ("delta_rnn", "truncated"): "35.0", ("delta_lstm", "truncated"): "33.8",
    ("rdn", "truncated"): "35.2", ("delta_rnn", "full"): "32.8", ("rdn", "full"): "33.6",
}


def parse_fields(line: str) -> dict:
    """``key=value`` pairs separated by spaces."""
    return dict(item.split("=", 1) for item in line.split() if "=" in item)


def read_run(run_dir: str) -> dict:
    """The run's configuration and its perplexities keyed by (split, evaluation)."""
    for name in ("run_config.txt", "results.txt"):
        if not os.path.isfile(os.path.join(run_dir, name)):
            sys.exit(f"error: {run_dir}/{name} not found: train with train.sh and evaluate with eval.sh first")
    with open(os.path.join(run_dir, "results.txt")) as handle:
        results = [parse_fields(line) for line in handle if line.strip()]
    with open(os.path.join(run_dir, "run_config.txt")) as handle:
        config = parse_fields(handle.read())
    return {
        "config": config,
        "ppl": {(r["split"], r["eval"]): r["ppl"] for r in results},
    }


def table(run_dirs) -> str:
    rows = ["| model | size | training | evaluation | valid ppl | test ppl | paper test ppl (small) |",
            "|---|---|---|---|---:|---:|---:|"]
    for run_dir in run_dirs:
        run = read_run(run_dir)
        config = run["config"]
        evaluations = sorted({evaluation for _, evaluation in run["ppl"]})
        for evaluation in evaluations:
            paper = PAPER_TEST_PPL.get((config["model"], config["mode"]), "") if config["size"] == "small" else ""
            rows.append(
                f"| {config['model']} | {config['size']} | {config['mode']} | {evaluation.replace('_', ' ')} "
                f"| {run['ppl'].get(('valid', evaluation), '')} | {run['ppl'].get(('test', evaluation), '')} "
                f"| {paper} |"
            )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dirs", nargs="+", help="run directories of train.sh / eval.sh")
    print(table(parser.parse_args().run_dirs))


if __name__ == "__main__":
    main()
