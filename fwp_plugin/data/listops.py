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

Trees (``sample_tree``) are drawn as the generator of Irie et al. 2021
(``algorithmic/utils/nyu_listops.py``) draws them. Depth counts levels with
the root at 1, and ``depth D`` asks for a tree whose deepest value is at level
D + 1 (depth 1 is a flat list such as ``[MAX 1 9 ]``; "depth 10" has its
deepest value at level 11). A tree grows freely: the root is an operator;
every node below it is a value with probability ``value_prob`` and otherwise
an operator, except at level 20, where every node is a value; an operator has
``min_args..max_args`` arguments (uniform) and a name drawn uniformly from
the selected operators; values are uniform on 0..9. A tree is kept only when
its deepest value is at level D + 1 exactly; trees that come out shallower or
deeper are rejected and drawn again. The random numbers are drawn in the
authors' order (see ``grow_tree``), so ``--seed 42`` gives the trees of their
script (``random.seed(42)``) one for one, in the same splits, as long as no
tree repeats (they keep repeats, we draw again) and none exceeds
``--max-sample-tokens``. The published generator reaches depth 19 at most.

``--sampler capped`` draws another distribution, the one this generator drew
before 2026-11-30 (not the same files for a seed: the draws are now in the
published order): every node at level D + 1 is a value, so a tree that would
have grown deeper is cut there and kept. Its trees are about a quarter longer
(mean 125 against 98 tokens at depth 10, 232 against 187 at depth 15); it
reaches any depth and is about six times faster (2 s against 11 s for the
default 12000 trees at depth 10, 4 s against 25 s at depth 15).

Trees longer than ``--max-sample-tokens`` (default 10000 tokens, over ten
times the longest tree of the paper's settings, so that for them it never
triggers) are also drawn again. Settings whose trees cannot fit fail before
drawing, and settings whose trees fit too rarely (after 1000 longer trees,
over 100 per tree kept) fail then, each with a message naming the options to
change. Trees are built, printed and evaluated without recursion, so any
depth works (with ``--sampler capped``).

Command line: ``python -m fwp_plugin.data.listops --depth 10 --out DIR``
writes ``{train,valid,test}.{src,label}`` (one integer label per line),
``dict.src.txt`` (fairseq dictionary of the full source vocabulary, counts
from train) and ``generation.txt`` (the command line that regenerates the files).
"""

import argparse
import os
import random
import statistics
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
DIGITS = tuple(str(value) for value in VALUES)
OPEN = "["
CLOSE = "]"
SAMPLERS = ("published", "capped")
# The published generator makes every node at this level a value (its MAX_DEPTH), whatever the depth asked.
PUBLISHED_LAST_LEVEL = 20
DEFAULT_MAX_ATTEMPTS = 100000
# Tokens of one sample at most (--max-sample-tokens). The paper's settings stay far below it: of the
# 12000 trees of seed 1 the longest has 411 tokens at depth 10, 736 at depth 15 (capped sampler: 596, 990).
DEFAULT_MAX_SAMPLE_TOKENS = 10000
# Trees that fit the bound are too rare once MAX_TOO_LONG trees or more were longer, over
# TOO_LONG_PER_KEPT for each tree kept (then a sample costs over 100 grown-and-dropped trees).
MAX_TOO_LONG = 1000
TOO_LONG_PER_KEPT = 100


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


def last_level_for(depth, sampler):
    """The level whose nodes are all values: the published generator's level 20, or D + 1 for ``capped``."""
    return PUBLISHED_LAST_LEVEL if sampler == "published" else depth + 1


def check_tree_settings(depth, operators, min_args, max_args, value_prob, sampler="published"):
    """Raise GenerationError, naming the problem and a fix, for settings that cannot give such trees."""
    check_operators(operators)
    if sampler not in SAMPLERS:
        raise dataset_files.GenerationError(f"--sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
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
    if sampler == "published" and depth >= PUBLISHED_LAST_LEVEL:
        raise dataset_files.GenerationError(
            f"--depth {depth} is out of the published sampler's reach: it makes every node at level "
            f"{PUBLISHED_LAST_LEVEL} a value, so its deepest trees have depth {PUBLISHED_LAST_LEVEL - 1}; "
            "lower --depth, or use --sampler capped (every node at level D + 1 is a value; another distribution)"
        )
    if sampler == "published" and value_prob == 0.0 and depth != PUBLISHED_LAST_LEVEL - 1:
        raise dataset_files.GenerationError(
            f"depth {depth} is unreachable with --value-prob 0 and --sampler published (every node above level "
            f"{PUBLISHED_LAST_LEVEL} is an operator, so every tree has depth {PUBLISHED_LAST_LEVEL - 1}); "
            "raise --value-prob, or use --sampler capped"
        )


def fewest_tokens(depth, min_args, value_prob, limit):
    """The fewest tokens a tree of ``depth`` can have, or ``limit + 1`` when that is more than ``limit``.

    With ``value_prob`` above 0 the shortest tree is a chain: ``depth``
    operators with ``min_args`` arguments each, one of them the next operator
    ((min_args + 1) * depth + 1 tokens). With ``value_prob`` 0 every node
    above the deepest level is an operator: a full tree with ``min_args``
    arguments per operator.
    """
    if value_prob > 0 or min_args == 1:
        return min((min_args + 1) * depth + 1, limit + 1)
    tokens, width = 0, 1  # width: nodes on the current level
    for _ in range(depth):
        tokens, width = tokens + 2 * width, width * min_args
        if tokens + width > limit:
            return limit + 1
    return tokens + width


def check_size_bound(depth, min_args, value_prob, max_tokens):
    """Raise GenerationError, naming the options to change, when no tree of ``depth`` fits in ``max_tokens``."""
    if fewest_tokens(depth, min_args, value_prob, max_tokens) <= max_tokens:
        return
    if value_prob == 0 and min_args > 1:
        shape = (f"with --value-prob 0 every tree of depth {depth} is a full tree with --min-args {min_args} "
                 f"arguments or more per operator, more than {max_tokens} tokens")
        fix = "raise --value-prob, or lower --min-args or --depth"
    else:
        shape = (f"the shortest tree of depth {depth} with --min-args {min_args} has "
                 f"{(min_args + 1) * depth + 1} tokens")
        fix = "lower --depth or --min-args"
    raise dataset_files.GenerationError(
        f"no tree fits in --max-sample-tokens {max_tokens}: {shape}; {fix}, or raise --max-sample-tokens "
        "(it bounds the tokens of one sample, and so the memory and time a sample can take)"
    )


def grow_tree(rng, last_level, operators, min_args, max_args, value_prob, max_tokens):
    """A random tree whose root is an operator at level 1; returns (tree, level of its deepest value).

    A tree is a digit (value) or a tuple (operator name, tuple of subtrees).
    Nodes at ``last_level`` are values. Every other node draws u =
    ``rng.random()`` and is a value when u > 1 - ``value_prob``, otherwise an
    operator (the root draws u too and is an operator whatever it is). A value
    then draws its digit; an operator draws its number of arguments, then its
    arguments one after another, depth first, and its name last. These are
    the published generator's draws, in its order. Returns (None, None) as
    soon as the tree has more than ``max_tokens`` tokens. Iterative: any
    depth, no recursion limit.
    """
    rng.random()  # the root's u, drawn and ignored as in the published generator
    # open operators, root first: [arguments still to draw, arguments drawn]
    stack = [[rng.randint(min_args, max_args), []]]
    tokens, deepest = 2, 1  # an operator is two tokens, ``[OP`` and ``]``
    while True:
        top = stack[-1]
        if not top[0]:
            stack.pop()
            node = (rng.choice(operators), tuple(top[1]))
            if not stack:
                return node, deepest
            stack[-1][1].append(node)
            continue
        top[0] -= 1
        level = len(stack) + 1  # the level of the argument being drawn
        if level == last_level or rng.random() > 1.0 - value_prob:
            top[1].append(rng.choice(VALUES))
            tokens += 1
            deepest = max(deepest, level)
        else:
            stack.append([rng.randint(min_args, max_args), []])
            tokens += 2
        if tokens > max_tokens:
            return None, None


def sample_tree(rng, depth, operators=DEFAULT_OPERATORS, min_args=2, max_args=5, value_prob=0.75,
                max_attempts=DEFAULT_MAX_ATTEMPTS, max_tokens=DEFAULT_MAX_SAMPLE_TOKENS, rejected=None,
                sampler="published"):
    """Draw a tree whose deepest value is at level ``depth + 1`` (root = 1) and that has at most
    ``max_tokens`` tokens, by rejection sampling.

    Trees grow up to ``last_level_for(depth, sampler)`` (``grow_tree``); those
    that come out shallower or deeper, or longer than ``max_tokens`` (their
    growth stops there), are drawn again. ``rejected`` (a Counter), if
    given, counts the trees of every call: "too shallow", "too deep", "too
    long" and "kept". Raises GenerationError for impossible settings, when
    ``max_attempts`` draws in a row are all rejected, or when trees that fit
    are too rare: MAX_TOO_LONG trees or more came out too long, over
    TOO_LONG_PER_KEPT for each tree kept (counted over ``rejected``).
    """
    check_tree_settings(depth, operators, min_args, max_args, value_prob, sampler)
    check_size_bound(depth, min_args, value_prob, max_tokens)
    operators = tuple(operators)
    counts = Counter() if rejected is None else rejected
    this_call = Counter()
    for _ in range(max_attempts):
        tree, deepest = grow_tree(rng, last_level_for(depth, sampler), operators, min_args, max_args, value_prob,
                                  max_tokens)
        if tree is None:
            outcome = "too long"
        elif deepest == depth + 1:
            counts["kept"] += 1
            return tree
        else:
            outcome = "too shallow" if deepest < depth + 1 else "too deep"
        this_call[outcome] += 1
        counts[outcome] += 1
        if outcome == "too long" and counts["too long"] >= MAX_TOO_LONG \
                and counts["too long"] > TOO_LONG_PER_KEPT * counts["kept"]:
            raise dataset_files.GenerationError(
                f"{counts['too long']} trees were longer than --max-sample-tokens {max_tokens}, "
                + (f"over {TOO_LONG_PER_KEPT} for each of the {counts['kept']} kept" if counts["kept"]
                   else "and none fitted")
                + f": with --depth {depth}, --value-prob "
                f"{value_prob} and --min-args {min_args} --max-args {max_args} trees that fit are too rare; "
                "raise --value-prob, lower --max-args or --depth, or raise --max-sample-tokens (it bounds the "
                "tokens of one sample, and so the memory and time a sample can take)"
            )
    raise dataset_files.GenerationError(
        f"no tree of depth {depth} in {max_attempts} attempts ({this_call['too shallow']} too shallow, "
        f"{this_call['too deep']} too deep, {this_call['too long']} longer than --max-sample-tokens {max_tokens}): "
        f"that depth is unreachable or too rare with --value-prob {value_prob} and --max-args {max_args}; "
        "lower --depth, change --value-prob (lower: deeper trees) or --max-args, or raise --max-attempts"
    )


def evaluate(tree):
    """The value (0..9) of a tree (iterative: any depth)."""
    if isinstance(tree, int):
        return tree
    # open operators: (name, iterator over its arguments, values of the arguments done)
    stack = [(tree[0], iter(tree[1]), [])]
    while True:
        name, children, values = stack[-1]
        for child in children:
            if isinstance(child, int):
                values.append(child)
            else:
                stack.append((child[0], iter(child[1]), []))
                break
        else:
            stack.pop()
            value = OPERATORS[name](values)
            if not stack:
                return value
            stack[-1][2].append(value)


def to_tokens(tree):
    """The token list of a tree: ``[OP`` arguments ``]`` for operators, the digit for values (iterative)."""
    tokens, pending = [], [tree]  # pending: subtrees and closing brackets still to write, next last
    while pending:
        node = pending.pop()
        if isinstance(node, int):
            tokens.append(str(node))
        elif isinstance(node, str):
            tokens.append(node)
        else:
            name, children = node
            tokens.append(OPEN + name)
            pending.append(CLOSE)
            pending.extend(reversed(children))
    return tokens


def from_tokens(tokens):
    """The tree of a token list (the inverse of ``to_tokens``); a ValueError names what is wrong (iterative)."""
    stack, tree = [], None  # open operators, root first: (name, arguments read)
    for position, token in enumerate(tokens, start=1):
        if tree is not None:
            raise ValueError(f"token {position} ({token}) follows the end of the tree: a line holds one tree")
        if token.startswith(OPEN) and token[len(OPEN):] in OPERATORS:
            stack.append((token[len(OPEN):], []))
        elif token == CLOSE:
            if not stack:
                raise ValueError(f"token {position} ({CLOSE}) closes no operator")
            name, arguments = stack.pop()
            if not arguments:
                raise ValueError(f"token {position} ({CLOSE}) closes {OPEN}{name} without arguments")
            node = (name, tuple(arguments))
            if stack:
                stack[-1][1].append(node)
            else:
                tree = node
        elif token in DIGITS:
            if not stack:
                raise ValueError(f"token {position} ({token}) is a value outside any operator: a tree starts with "
                                 f"an operator")
            stack[-1][1].append(int(token))
        else:
            raise ValueError(f"token {position} ({token}) is none of the digits, {CLOSE} and the operators "
                             + " ".join(OPEN + name for name in OPERATORS))
    if tree is None:
        raise ValueError(f"{len(stack)} operator(s) lack their {CLOSE}" if stack else "no tokens")
    return tree


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
    return DIGITS + tuple(OPEN + name for name in operators) + (CLOSE,)


# --- command line ------------------------------------------------------------


def draw_sample(rng, args, rejected=None):
    """One (source line, label line) pair under the command-line settings; ``rejected`` as in sample_tree."""
    tree = sample_tree(rng, args.depth, args.operators, args.min_args, args.max_args, args.value_prob,
                       args.max_attempts, args.max_sample_tokens, rejected, args.sampler)
    return " ".join(to_tokens(tree)), str(evaluate(tree))


def statistics_rows(splits, depth=None, rejected=None, max_tokens=DEFAULT_MAX_SAMPLE_TOKENS):
    """The statistics printed after generation, as (name, value) rows.

    ``splits``: split -> list of (source line, label line). With ``depth``,
    a row checks that every tree has it; without, a row gives the depths.
    """
    samples = [sample for split in splits.values() for sample in split]
    lengths = [len(source.split()) for source, _ in samples]
    labels = Counter(int(label) for _, label in samples)
    depths = Counter(deepest_value_level(source.split()) - 1 for source, _ in samples)
    rows = [
        ("split sizes", ", ".join(f"{split} {len(split_samples)}" for split, split_samples in splits.items())),
        ("source length (tokens)", f"mean {statistics.fmean(lengths):.1f}, sd {statistics.pstdev(lengths):.1f}, "
                                   f"max {max(lengths)}"),
        ("labels", dataset_files.format_distribution(labels)),
    ]
    if depth is None:
        rows.append(("depths", dataset_files.format_distribution(depths)))
    else:
        depth_check = "ok, every tree" if set(depths) == {depth} else f"WRONG: {dict(depths)}"
        rows.append(("depth check", f"{depth_check} has depth {depth} (deepest value at level {depth + 1})"))
    if rejected is not None:
        rows.append(("trees drawn again", f"{rejected['too shallow']} too shallow, {rejected['too deep']} too deep, "
                                          f"{rejected['too long']} longer than --max-sample-tokens {max_tokens}"))
    return rows


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
    parser.add_argument("--sampler", choices=SAMPLERS, default="published",
                        help=f"published: trees grow freely (every node at level {PUBLISHED_LAST_LEVEL} is a value) "
                             "and only those whose deepest value is at level D + 1 are kept, as the authors' "
                             f"generator does (depth {PUBLISHED_LAST_LEVEL - 1} at most; --seed 42 gives their "
                             "trees); capped: every node at level D + 1 is a value, so deeper trees are cut there "
                             "and kept, another distribution (longer trees; any depth; faster)")
    parser.add_argument("--max-attempts", type=int, default=DEFAULT_MAX_ATTEMPTS,
                        help="trees drawn per sample before giving up on reaching the depth")
    parser.add_argument("--max-sample-tokens", type=int, default=DEFAULT_MAX_SAMPLE_TOKENS,
                        help="most tokens in one sample (a source line): longer trees are drawn again, and "
                             "settings whose trees cannot fit, or fit too rarely, stop with a message; "
                             "bounds the memory and time of a sample (the paper's depths 10 and 15 give trees of "
                             "under 1000 tokens)")
    parser.add_argument("--train-size", type=int, default=10000, help="trees in the train split")
    parser.add_argument("--valid-size", type=int, default=1000, help="trees in the valid split")
    parser.add_argument("--test-size", type=int, default=1000, help="trees in the test split")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same files)")
    parser.add_argument("--out", required=True,
                        help="output directory (created if missing; existing files are never overwritten); "
                             "written as a whole: an interrupted run leaves nothing there")
    return parser


def generate(args):
    """Check the settings, draw the splits, write every file and print statistics."""
    check_tree_settings(args.depth, args.operators, args.min_args, args.max_args, args.value_prob, args.sampler)
    if args.max_attempts < 1:
        raise dataset_files.GenerationError(f"--max-attempts must be at least 1, got {args.max_attempts}")
    check_size_bound(args.depth, args.min_args, args.value_prob, args.max_sample_tokens)
    sizes = {"train": args.train_size, "valid": args.valid_size, "test": args.test_size}
    dataset_files.check_split_sizes(sizes)
    columns = ("src", "label")
    names = dataset_files.split_file_names(columns) + ["dict.src.txt", "generation.txt"]
    with dataset_files.output_directory(args.out, names) as directory:
        rng = random.Random(args.seed)
        rejected = Counter()
        splits = dataset_files.draw_unique_samples(lambda: draw_sample(rng, args, rejected), sizes)
        dataset_files.write_split_files(directory, splits, columns)
        dataset_files.write_dictionary(
            os.path.join(directory, "dict.src.txt"), source_vocabulary(args.operators),
            dataset_files.count_tokens(source for source, _ in splits["train"]),
        )
        dataset_files.write_generation_settings(directory, __spec__.name, args)
    dataset_files.print_statistics(
        f"ListOps, depth {args.depth}, operators {' '.join(args.operators)}, {args.sampler} sampler, "
        f"written to {args.out}",
        statistics_rows(splits, args.depth, rejected, args.max_sample_tokens),
    )


def main(argv=None):
    """Command-line entry point; bad settings end with a usage error naming the problem."""
    dataset_files.run_command_line(build_parser(), generate, argv)


if __name__ == "__main__":
    main()
