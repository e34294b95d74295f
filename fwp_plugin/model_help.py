"""Every option of an architecture's model, with its help string, and the values the architecture sets.

    python -m fwp_plugin.model_help fwp_delta_net_wt103_small

``fairseq-train --arch ARCH --help`` lists fairseq's own options only: it answers
``--help`` before it adds the model's options to its parser.
"""

import argparse
from argparse import Namespace


def model_help(arch: str) -> str:
    """The model options of ``arch`` (help strings and defaults) and the values ``arch`` sets."""
    from fairseq.models import ARCH_CONFIG_REGISTRY, ARCH_MODEL_NAME_REGISTRY, ARCH_MODEL_REGISTRY

    if arch not in ARCH_MODEL_REGISTRY:
        raise ValueError(f"unknown architecture {arch!r}; python -m fwp_plugin.model_names models lists the "
                         "models, the README's table their architectures")
    parser = argparse.ArgumentParser(prog=f"fairseq-train --user-dir fwp_plugin --arch {arch}", add_help=False,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ARCH_MODEL_REGISTRY[arch].add_args(parser.add_argument_group(f"options of the model {ARCH_MODEL_NAME_REGISTRY[arch]}"))
    values = Namespace()
    ARCH_CONFIG_REGISTRY[arch](values)  # what the architecture fills in when a flag is left out
    lines = [f"  --{name.replace('_', '-')} {value}" for name, value in sorted(vars(values).items())]
    return parser.format_help() + f"\nset by {arch} (any flag above overrides them):\n" + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("arch", help="a registered architecture, e.g. fwp_delta_net_wt103_small, or a model: fwp_lm")
    args = parser.parse_args()
    from . import register_with_fairseq

    register_with_fairseq()  # skipped when Python imports the package for -m
    try:
        print(model_help(args.arch), end="")
    except ValueError as error:
        parser.exit(2, f"error: {error}\n")


if __name__ == "__main__":
    main()
