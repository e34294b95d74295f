"""Sequential ListOps (Nangia & Bowman 2018, as used by Irie et al. 2021).

A sample is a tree of list operations on digits, serialised without
parentheses: an operator node is its opening token (``[MIN``, ``[MAX``, ...),
its arguments, and ``]``; a value is a digit. Example:
``[MIN 3 [MAX 1 9 ] 0 ]``, whose label (value) is 0.

Operators (``--operators``, default MIN MAX FIRST):

- MIN, MAX: the smallest / largest argument;
- FIRST, LAST: the first / last argument;
- SM: the sum of the arguments modulo 10;
- MED: the median; for an even number of arguments, the mean of the two
  middle values rounded down, as in the original ListOps generator
  (``int(np.median(args))``): MED of 2 5 is 3, of 1 4 6 9 is 5.

Trees (``sample_tree``): the root is an operator; every node below the root
is a value with probability ``value_prob`` and otherwise an operator; an
operator draws its name uniformly from the selected operators and its
number of arguments uniformly from ``min_args..max_args``; values are
uniform on 0..9. Depth counts levels with the root at 1, and ``depth D``
asks for a tree whose deepest value is at level D + 1 (depth 1 is a flat
list such as ``[MAX 1 9 ]``; "depth 10" has its deepest value at level 11).
Nodes at level D + 1 are forced to be values, so no tree is deeper; trees
whose deepest value is shallower are rejected and drawn again.

Command line: ``python -m fwp_plugin.data.listops --depth 10 --out DIR``
writes ``{train,valid,test}.{src,label}`` (one integer label per line),
``dict.src.txt`` (fairseq dictionary of the full source vocabulary, counts
from train) and ``generation.txt`` (the command line that regenerates the files).
"""

import argparse
import os
import random
from collections import Counter

from . import dataset_files


def median(args):
    """The median of ``args``; the mean of the two middle values rounded down for an even count."""
    ordered = sorted(args)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) // 2


OPERATORS = {
    "MIN": min,
    "MAX": max,
    "FIRST": lambda args: args[0],
    "LAST": lambda args: args[-1],
    "SM": lambda args: sum(args) % 10,
    "MED": median,
}
DEFAULT_OPERATORS = ("MIN", "MAX", "FIRST")
VALUES = tuple(range(10))
OPEN = "["
CLOSE = "]"
DEFAULT_MAX_ATTEMPTS = 100000


def check_operators(operators):
    """Raise GenerationError unless ``operators`` is a non-empty list of distinct known operators."""
    unknown = [name for name in operators if name not in OPERATORS]
    if unknown:
        raise dataset_files.GenerationError(
            f"unknown operator(s) {' '.join(unknown)}; valid operators: {' '.join(OPERATORS)}"
        )
    if not operators or len(set(operators)) != len(operators):
        raise dataset_files.GenerationError(
            f"--operators must list one or more distinct operators (got {' '.join(operators) or 'none'}); "
            f"valid operators: {' '.join(OPERATORS)}"
        )


def check_tree_settings(depth, operators, min_args, max_args, value_prob):
    """Raise GenerationError, naming the problem and a fix, for settings that cannot give such trees."""
    check_operators(operators)
    if depth < 1:
        raise dataset_files.GenerationError(
            f"--depth must be at least 1 (a flat list such as [MAX 1 9 ] has depth 1), got {depth}"
        )
    if min_args < 1:
        raise dataset_files.GenerationError(f"--min-args must be at least 1, got {min_args}")
    if max_args < min_args:
        raise dataset_files.GenerationError(
            f"--max-args ({max_args}) is below --min-args ({min_args}); raise --max-args or lower --min-args"
        )
    if not 0.0 <= value_prob <= 1.0:
        raise dataset_files.GenerationError(f"--value-prob must be a probability in [0, 1], got {value_prob}")
    if value_prob == 1.0 and depth > 1:
        raise dataset_files.GenerationError(
            f"depth {depth} is unreachable with --value-prob 1 (every node below the root is a value, "
            "so only depth 1 exists); lower --value-prob or use --depth 1"
        )


def grow_node(rng, level, cap, operators, min_args, max_args, value_prob):
    """A random subtree at ``level``; returns (tree, level of its deepest value).

    A tree is a digit (value) or a tuple (operator name, tuple of subtrees).
    Nodes at level ``cap`` are values; others are values with probability ``value_prob``.
    """
    if level == cap or rng.random() < value_prob:
        return rng.choice(VALUES), level
    return grow_operator(rng, level, cap, operators, min_args, max_args, value_prob)


def grow_operator(rng, level, cap, operators, min_args, max_args, value_prob):
    """A random operator node at ``level`` with its arguments; returns (tree, level of its deepest value)."""
    name = rng.choice(operators)
    children, deepest = [], level
    for _ in range(rng.randint(min_args, max_args)):
        child, child_deepest = grow_node(rng, level + 1, cap, operators, min_args, max_args, value_prob)
        children.append(child)
        deepest = max(deepest, child_deepest)
    return (name, tuple(children)), deepest


def sample_tree(rng, depth, operators=DEFAULT_OPERATORS, min_args=2, max_args=5, value_prob=0.75,
                max_attempts=DEFAULT_MAX_ATTEMPTS):
    """Draw a tree whose deepest value is at level ``depth + 1`` (root = 1), by rejection sampling.

    Raises GenerationError for impossible settings, or when ``max_attempts``
    draws in a row all come out too shallow.
    """
    check_tree_settings(depth, operators, min_args, max_args, value_prob)
    operators = tuple(operators)
    for _ in range(max_attempts):
        tree, deepest = grow_operator(rng, 1, depth + 1, operators, min_args, max_args, value_prob)
        if deepest == depth + 1:
            return tree
    raise dataset_files.GenerationError(
        f"no tree of depth {depth} in {max_attempts} attempts: that depth is unreachable or too rare with "
        f"--value-prob {value_prob} and --max-args {max_args}; lower --depth, lower --value-prob, "
        "raise --max-args, or raise --max-attempts"
    )


def evaluate(tree):
    """The value (0..9) of a tree."""
    if isinstance(tree, int):
        return tree
    name, children = tree
    return OPERATORS[name]([evaluate(child) for child in children])


def to_tokens(tree):
    """The token list of a tree: ``[OP`` arguments ``]`` for operators, the digit for values."""
    if isinstance(tree, int):
        return [str(tree)]
    name, children = tree
    tokens = [OPEN + name]
    for child in children:
        tokens.extend(to_tokens(child))
    tokens.append(CLOSE)
    return tokens


def deepest_value_level(tokens):
    """The level of the deepest value in a token list (root operator = 1), read from the brackets."""
    level = deepest = 0
    for token in tokens:
        if token.startswith(OPEN):
            level += 1
        elif token == CLOSE:
            level -= 1
        else:
            deepest = max(deepest, level + 1)
    return deepest


def source_vocabulary(operators):
    """Every source token: the digits, the selected operators' ``[OP`` tokens and ``]``."""
    return tuple(str(value) for value in VALUES) + tuple(OPEN + name for name in operators) + (CLOSE,)


# --- command line ------------------------------------------------------------


def draw_sample(rng, args):
    """One (source line, label line) pair under the command-line settings."""
    tree = sample_tree(rng, args.depth, args.operators, args.min_args, args.max_args, args.value_prob,
                       args.max_attempts)
    return " ".join(to_tokens(tree)), str(evaluate(tree))


def statistics_rows(splits, depth):
    """The statistics printed after generation, as (name, value) rows."""
    samples = [sample for split in splits.values() for sample in split]
    lengths = [len(source.split()) for source, _ in samples]
    labels = Counter(int(label) for _, label in samples)
    depths = Counter(deepest_value_level(source.split()) - 1 for source, _ in samples)
    depth_check = "ok, every tree" if set(depths) == {depth} else f"WRONG: {dict(depths)}"
    return [
        ("split sizes", ", ".join(f"{split} {len(split_samples)}" for split, split_samples in splits.items())),
        ("source length (tokens)", f"mean {sum(lengths) / len(lengths):.1f}, max {max(lengths)}"),
        ("labels", dataset_files.format_distribution(labels)),
        ("depth check", f"{depth_check} has depth {depth} (deepest value at level {depth + 1})"),
    ]


def build_parser():
    """The command-line parser."""
    parser = argparse.ArgumentParser(
        prog="python -m fwp_plugin.data.listops",
        description="Generate a ListOps data set (train/valid/test .src/.label and a fairseq dictionary).",
    )
    parser.add_argument("--depth", type=int, default=10,
                        help="tree depth D: the deepest value is at level D + 1, the root at level 1 "
                             "(1 is a flat list)")
    parser.add_argument("--operators", nargs="+", default=list(DEFAULT_OPERATORS),
                        help=f"operators to use, any of {' '.join(OPERATORS)} (SM: sum mod 10; "
                             "MED: median, even counts round the mean of the middle two down)")
    parser.add_argument("--min-args", type=int, default=2, help="fewest arguments of an operator")
    parser.add_argument("--max-args", type=int, default=5, help="most arguments of an operator")
    parser.add_argument("--value-prob", type=float, default=0.75,
                        help="probability that a node below the root is a value rather than an operator")
    parser.add_argument("--max-attempts", type=int, default=DEFAULT_MAX_ATTEMPTS,
                        help="trees drawn per sample before giving up on reaching the depth")
    parser.add_argument("--train-size", type=int, default=10000, help="trees in the train split")
    parser.add_argument("--valid-size", type=int, default=1000, help="trees in the valid split")
    parser.add_argument("--test-size", type=int, default=1000, help="trees in the test split")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same files)")
    parser.add_argument("--out", required=True,
                        help="output directory (created if missing; existing files are never overwritten)")
    return parser


def generate(args):
    """Check the settings, draw the splits, write every file and print statistics."""
    check_tree_settings(args.depth, args.operators, args.min_args, args.max_args, args.value_prob)
    if args.max_attempts < 1:
        raise dataset_files.GenerationError(f"--max-attempts must be at least 1, got {args.max_attempts}")
    sizes = {"train": args.train_size, "valid": args.valid_size, "test": args.test_size}
    dataset_files.check_split_sizes(sizes)
    columns = ("src", "label")
    dataset_files.refuse_existing(
        dataset_files.split_file_paths(args.out, columns)
        + [os.path.join(args.out, name) for name in ("dict.src.txt", "generation.txt")]
    )
    rng = random.Random(args.seed)
    splits = dataset_files.draw_unique_samples(lambda: draw_sample(rng, args), sizes)

    os.makedirs(args.out, exist_ok=True)
    dataset_files.write_split_files(args.out, splits, columns)
    dataset_files.write_dictionary(
        os.path.join(args.out, "dict.src.txt"), source_vocabulary(args.operators),
        dataset_files.count_tokens(source for source, _ in splits["train"]),
    )
    dataset_files.write_generation_settings(args.out, __spec__.name, args)
    dataset_files.print_statistics(
        f"ListOps, depth {args.depth}, operators {' '.join(args.operators)}, written to {args.out}",
        statistics_rows(splits, args.depth),
    )


def main(argv=None):
    """Command-line entry point; bad settings end with a usage error naming the problem."""
    dataset_files.run_command_line(build_parser(), generate, argv)


if __name__ == "__main__":
    main()
