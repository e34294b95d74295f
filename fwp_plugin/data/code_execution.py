"""Code execution task (after Fan et al. 2020, as used by Irie et al. 2021).

A program is ``num_statements`` statements over ``num_vars`` variables (3 or
5, named ``x y z a b`` in that order), written as space-separated tokens on
one line, for example ``x = 3 ; y = 1 ; if x > 2 : y ++ ; print y ;``.
Statement kinds:

- assignment ``v = n ;`` with n in 0..9;
- increment / decrement ``v ++ ;`` / ``v -- ;``;
- print ``print v ;``;
- conditional ``if v < n : S`` / ``if v > n : S`` with n in 0..9 and S one
  statement of the three kinds above.

How a program is drawn (every choice uniform, from one ``random.Random``):

- statement 1 is an assignment, the last statement a print; every other
  statement's kind is drawn uniformly from the four kinds (probability 1/4
  each, independently of the state: after the first assignment some
  variable always has a value, so every kind is always possible);
- an assignment draws its variable from all ``num_vars`` variables and its
  value from 0..9;
- an increment / decrement draws its variable from the assigned variables
  (those that have a value) and ``++`` or ``--``; when the drawn operation
  would take the value outside [-8, 16] the opposite one is emitted;
- a print draws its variable from the assigned variables;
- a conditional draws its variable from the assigned variables, ``<`` or
  ``>``, a constant from 0..9, and its body's kind uniformly from the three
  non-conditional kinds (1/3 each); the body is then drawn by the rules
  above, judged on the state before the ``if`` (whether or not the
  condition holds).

Execution: an assignment sets the variable, ``++`` / ``--`` add / subtract
1, a print outputs the variable's value, and a conditional runs its body
when the comparison holds. The target line is aligned token for token with
the source: ``_`` everywhere except at the ``;`` of an executed print,
which holds the printed value (a print in a false ``if`` yields ``_``).

Two semantics. ``correct`` is the above. ``published`` reproduces the public
generator of Irie et al.: an assignment inside a true ``if`` to a variable
that already has a value is ignored (the value stays); everything else is
identical. While drawing, the state (which variables are assigned, and the
values the [-8, 16] rule looks at) follows the chosen semantics.

Command line: ``python -m fwp_plugin.data.code_execution --num-vars 5 --out DIR``
writes ``{train,valid,test}.{src,tgt}``, ``dict.src.txt``, ``dict.tgt.txt``
(fairseq dictionaries of the full vocabularies, counts from train) and
``generation.txt`` (the command line that regenerates the files). A program
has at most 9 tokens per statement; ``--max-sample-tokens`` (default 10000)
refuses, before drawing, a ``--num-statements`` whose programs could be longer.
"""

import argparse
import os
import random
from collections import Counter

from . import dataset_files

VARIABLE_NAMES = ("x", "y", "z", "a", "b")
NUM_VARS_CHOICES = (3, 5)
CONSTANTS = tuple(str(n) for n in range(10))  # assigned values and comparison constants
MIN_VALUE, MAX_VALUE = -8, 16
SEMANTICS = ("correct", "published")
KEYWORDS = ("=", ";", "++", "--", "print", "if", "<", ">", ":")
NO_OUTPUT = "_"
END = ";"
# Tokens of one sample at most (--max-sample-tokens); the paper's 100 statements give at most 889.
DEFAULT_MAX_SAMPLE_TOKENS = 10000


def variable_names(num_vars):
    """The variable names of a program with ``num_vars`` variables; GenerationError for other counts."""
    if num_vars not in NUM_VARS_CHOICES:
        raise dataset_files.GenerationError(
            f"--num-vars must be 3 or 5 (variables x y z, or x y z a b), got {num_vars}"
        )
    return VARIABLE_NAMES[:num_vars]


def source_vocabulary(num_vars):
    """Every source token: the variables in use, the keywords and the digits 0..9."""
    return variable_names(num_vars) + KEYWORDS + CONSTANTS


def target_vocabulary():
    """Every target token: ``_`` and every value in [-8, 16]."""
    return (NO_OUTPUT,) + tuple(str(value) for value in range(MIN_VALUE, MAX_VALUE + 1))


def check_semantics(semantics):
    """Raise GenerationError unless ``semantics`` is one of SEMANTICS."""
    if semantics not in SEMANTICS:
        raise dataset_files.GenerationError(f"--semantics must be one of {', '.join(SEMANTICS)}, got {semantics!r}")


def longest_program(num_statements):
    """The most tokens a program of ``num_statements`` statements can have.

    An assignment first (4 tokens), a print last (3) and in between
    conditionals with an assignment as body (9 tokens each).
    """
    return 4 + 9 * (num_statements - 2) + 3


def check_size_bound(num_statements, max_tokens):
    """Raise GenerationError, naming the options to change, when a program could exceed ``max_tokens``."""
    longest = longest_program(num_statements)
    if longest > max_tokens:
        raise dataset_files.GenerationError(
            f"--num-statements {num_statements} gives programs of up to {longest} tokens (9 per statement), "
            f"more than --max-sample-tokens {max_tokens}; lower --num-statements, or raise --max-sample-tokens "
            "(it bounds the tokens of one sample, and so the memory and time a sample can take)"
        )


def check_program_settings(num_vars, num_statements, semantics):
    """Raise GenerationError, naming the problem and a fix, for settings that cannot give programs."""
    variable_names(num_vars)
    check_semantics(semantics)
    if num_statements < 2:
        raise dataset_files.GenerationError(
            f"--num-statements must be at least 2 (an assignment first, a print last), got {num_statements}"
        )


# --- execution ---------------------------------------------------------------


def split_statements(tokens):
    """Split a token list into statements, each a tuple ending with ``;``."""
    statements, start = [], 0
    for index, token in enumerate(tokens):
        if token == END:
            statements.append(tuple(tokens[start:index + 1]))
            start = index + 1
    if start != len(tokens):
        raise ValueError(f"program does not end with '{END}': {' '.join(tokens[start:])}")
    return statements


def read_variable(state, variable):
    """The value of ``variable``; ValueError if it has none yet."""
    if variable not in state:
        raise ValueError(f"variable {variable} is used before it has a value")
    return state[variable]


def condition_holds(state, variable, comparison, constant):
    """Whether ``variable < constant`` (or ``>``) holds in ``state``."""
    value = read_variable(state, variable)
    return value < int(constant) if comparison == "<" else value > int(constant)


def is_ignored_assignment(state, body, semantics):
    """Whether ``body`` of a true ``if`` is skipped: published semantics ignore re-assignments there."""
    return semantics == "published" and body[1] == "=" and body[0] in state


def run_statement(state, statement, semantics):
    """Execute one statement on ``state`` (dict variable -> value); return the printed value or None."""
    if statement[0] == "if":
        _, variable, comparison, constant, _, *body = statement
        if not condition_holds(state, variable, comparison, constant) or is_ignored_assignment(state, body, semantics):
            return None
        return run_statement(state, body, semantics)
    if statement[0] == "print":
        return read_variable(state, statement[1])
    variable, operation = statement[0], statement[1]
    if operation == "=":
        state[variable] = int(statement[2])
    else:
        state[variable] = read_variable(state, variable) + (1 if operation == "++" else -1)
    return None


def statement_targets(statement, printed):
    """The target tokens of one statement: ``_`` everywhere, the printed value (if any) at ``;``."""
    last = NO_OUTPUT if printed is None else str(printed)
    return [NO_OUTPUT] * (len(statement) - 1) + [last]


def execute(tokens, semantics="correct"):
    """Run a program (list of tokens) and return its target tokens, aligned with ``tokens``.

    Raises ValueError when the program reads a variable that has no value
    (which a program drawn under the other semantics can do).
    """
    check_semantics(semantics)
    state, targets = {}, []
    for statement in split_statements(tokens):
        targets.extend(statement_targets(statement, run_statement(state, statement, semantics)))
    return targets


# --- generation --------------------------------------------------------------


def assigned_variables(names, state):
    """The variables of ``names`` that have a value, in name order."""
    return [name for name in names if name in state]


def draw_assignment(rng, names, state):
    """``v = n ;`` with v any variable and n in 0..9."""
    return (rng.choice(names), "=", rng.choice(CONSTANTS), END)


def draw_step(rng, names, state):
    """``v ++ ;`` or ``v -- ;`` on an assigned variable, kept inside [MIN_VALUE, MAX_VALUE]."""
    variable = rng.choice(assigned_variables(names, state))
    operation = rng.choice(("++", "--"))
    if operation == "++" and state[variable] + 1 > MAX_VALUE:
        operation = "--"
    elif operation == "--" and state[variable] - 1 < MIN_VALUE:
        operation = "++"
    return (variable, operation, END)


def draw_print(rng, names, state):
    """``print v ;`` on an assigned variable."""
    return ("print", rng.choice(assigned_variables(names, state)), END)


SIMPLE_STATEMENTS = (draw_assignment, draw_step, draw_print)


def draw_conditional(rng, names, state):
    """``if v < n : S`` or ``if v > n : S`` with S a simple statement drawn on the current state."""
    head = ("if", rng.choice(assigned_variables(names, state)), rng.choice(("<", ">")), rng.choice(CONSTANTS), ":")
    return head + rng.choice(SIMPLE_STATEMENTS)(rng, names, state)


ALL_STATEMENTS = SIMPLE_STATEMENTS + (draw_conditional,)


def draw_statement(rng, names, state, index, num_statements):
    """Statement ``index``: an assignment first, a print last, otherwise any of the four kinds."""
    if index == 0:
        return draw_assignment(rng, names, state)
    if index == num_statements - 1:
        return draw_print(rng, names, state)
    return rng.choice(ALL_STATEMENTS)(rng, names, state)


def generate_program(rng, num_vars, num_statements=100, semantics="correct"):
    """Draw one program (a list of tokens) with ``rng`` (a ``random.Random``)."""
    check_program_settings(num_vars, num_statements, semantics)
    names = variable_names(num_vars)
    state, tokens = {}, []
    for index in range(num_statements):
        statement = draw_statement(rng, names, state, index, num_statements)
        run_statement(state, statement, semantics)
        tokens.extend(statement)
    return tokens


# --- command line ------------------------------------------------------------


def draw_sample(rng, args):
    """One (source line, target line) pair under the command-line settings."""
    tokens = generate_program(rng, args.num_vars, args.num_statements, args.semantics)
    return " ".join(tokens), " ".join(execute(tokens, args.semantics))


def quirk_fires(tokens):
    """Whether published semantics ignore at least one assignment of the program."""
    state = {}
    for statement in split_statements(tokens):
        if (statement[0] == "if" and condition_holds(state, *statement[1:4])
                and is_ignored_assignment(state, statement[5:], "published")):
            return True
        run_statement(state, statement, "published")
    return False


def differs_under_correct_semantics(source, target):
    """Whether a program drawn under published semantics has other targets (or fails) under correct ones."""
    try:
        return execute(source.split(), "correct") != target.split()
    except ValueError:  # a condition turned the other way left a variable unassigned
        return True


def statistics_rows(splits, semantics):
    """The statistics printed after generation, as (name, value) rows."""
    samples = [sample for split in splits.values() for sample in split]
    lengths = [len(source.split()) for source, _ in samples]
    printed = Counter(int(token) for _, target in samples for token in target.split() if token != NO_OUTPUT)
    rows = [
        ("split sizes", ", ".join(f"{split} {len(split_samples)}" for split, split_samples in splits.items())),
        ("source length (tokens)", f"mean {sum(lengths) / len(lengths):.1f}, max {max(lengths)}"),
        ("executed prints per program", f"mean {sum(printed.values()) / len(samples):.2f}"),
        ("printed values", dataset_files.format_distribution(printed)),
    ]
    if semantics == "published":
        fired = sum(quirk_fires(source.split()) for source, _ in samples)
        changed = sum(differs_under_correct_semantics(source, target) for source, target in samples)
        rows += [
            ("programs where the published quirk ignores an assignment", f"{100.0 * fired / len(samples):.1f}%"),
            ("programs whose targets differ under correct semantics", f"{100.0 * changed / len(samples):.1f}%"),
        ]
    return rows


def build_parser():
    """The command-line parser."""
    parser = argparse.ArgumentParser(
        prog="python -m fwp_plugin.data.code_execution",
        description="Generate the code execution data set (train/valid/test .src/.tgt and fairseq dictionaries).",
    )
    parser.add_argument("--num-vars", type=int, default=3, help="number of variables: 3 (x y z) or 5 (x y z a b)")
    parser.add_argument("--num-statements", type=int, default=100, help="statements per program")
    parser.add_argument("--semantics", default="correct", help="correct, or published (the public generator's quirk: "
                        "an assignment in a true if to an already assigned variable is ignored)")
    parser.add_argument("--max-sample-tokens", type=int, default=DEFAULT_MAX_SAMPLE_TOKENS,
                        help="most tokens in one sample (a source line); --num-statements N gives up to 9N - 11 "
                             "tokens, and settings that could exceed this bound stop at once with a message "
                             "(bounds the memory and time of a sample)")
    parser.add_argument("--train-size", type=int, default=10000, help="programs in the train split")
    parser.add_argument("--valid-size", type=int, default=1000, help="programs in the valid split")
    parser.add_argument("--test-size", type=int, default=1000, help="programs in the test split")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same files)")
    parser.add_argument("--out", required=True,
                        help="output directory (created if missing; existing files are never overwritten); "
                             "written as a whole: an interrupted run leaves nothing there")
    return parser


def generate(args):
    """Check the settings, draw the splits, write every file and print statistics."""
    check_program_settings(args.num_vars, args.num_statements, args.semantics)
    check_size_bound(args.num_statements, args.max_sample_tokens)
    sizes = {"train": args.train_size, "valid": args.valid_size, "test": args.test_size}
    dataset_files.check_split_sizes(sizes)
    columns = ("src", "tgt")
    names = dataset_files.split_file_names(columns) + ["dict.src.txt", "dict.tgt.txt", "generation.txt"]
    with dataset_files.output_directory(args.out, names) as directory:
        rng = random.Random(args.seed)
        splits = dataset_files.draw_unique_samples(lambda: draw_sample(rng, args), sizes)
        dataset_files.write_split_files(directory, splits, columns)
        train_sources = (source for source, _ in splits["train"])
        train_targets = (target for _, target in splits["train"])
        dataset_files.write_dictionary(
            os.path.join(directory, "dict.src.txt"), source_vocabulary(args.num_vars),
            dataset_files.count_tokens(train_sources),
        )
        dataset_files.write_dictionary(
            os.path.join(directory, "dict.tgt.txt"), target_vocabulary(), dataset_files.count_tokens(train_targets)
        )
        dataset_files.write_generation_settings(directory, __spec__.name, args)
    dataset_files.print_statistics(
        f"code execution, {args.num_vars} variables, {args.semantics} semantics, written to {args.out}",
        statistics_rows(splits, args.semantics),
    )


def main(argv=None):
    """Command-line entry point; bad settings end with a usage error naming the problem."""
    dataset_files.run_command_line(build_parser(), generate, argv)


if __name__ == "__main__":
    main()
