"""One name per model, read by the flags, the architectures, the recipes and the tables.

A model's name is the same everywhere: ``--fast-weight-type delta_net``, the
architectures ``fwp_delta_net_*``, ``train.sh --model delta_net``, the RL agent's
``--core delta_net`` and the rows of every results table. The old spellings in
``ALIASES`` are still accepted (commands and checkpoints that use them keep
working) and mean the same model. The ops in ``fwp_kernels`` are named by the
recurrence they compute, which several models share (``delta_rule`` runs the Delta
Net, the Delta MLP's fast layers and the Delta Delta Net's slow net).

This module does not import fairseq; the recipes ask it for model and
architecture names:

    python -m fwp_plugin.model_names models --family language_model
    python -m fwp_plugin.model_names name delta --family rl        # delta_net
    python -m fwp_plugin.model_names arch delta_net wt103_small     # fwp_delta_net_wt103_small
"""

import argparse
from typing import Dict, Tuple

# name -> the model as the paper writes it
MODELS: Dict[str, str] = {
    "transformer": "Transformer",
    "linear_transformer": "Linear Transformer",
    "delta_net": "Delta Net",
    "delta_mlp": "Delta MLP",
    "delta_delta": "Delta Delta Net",
    "delta_rnn": "Delta RNN",
    "delta_lstm": "Delta LSTM",
    "rdn": "Recurrent Delta Net",
    "lstm": "LSTM",
    "feedforward": "feed-forward (no memory)",
}
FAST_WEIGHT_MODELS: Tuple[str, ...] = (
    "linear_transformer", "delta_net", "delta_mlp", "delta_delta", "delta_rnn", "delta_lstm", "rdn",
)
# old spelling -> model
ALIASES: Dict[str, str] = {"linear": "linear_transformer", "delta": "delta_net", "softmax": "transformer"}

# Every registered architecture: name -> (model, setting). Settings: wt103_small and
# wt103_medium (the paper's WikiText-103 language models), tiny (a CPU-sized language
# model), algorithmic (the paper's taggers for code execution and ListOps), algorithmic_tiny.
ARCHITECTURES: Dict[str, Tuple[str, str]] = {
    "transformer_lm_fwp_wt103_small": ("transformer", "wt103_small"),
    "transformer_lm_fwp_wt103_medium": ("transformer", "wt103_medium"),
    "transformer_lm_fwp_tiny": ("transformer", "tiny"),
    "fwp_linear_transformer_wt103_small": ("linear_transformer", "wt103_small"),
    "fwp_linear_transformer_wt103_medium": ("linear_transformer", "wt103_medium"),
    "fwp_linear_transformer_tiny": ("linear_transformer", "tiny"),
    "fwp_delta_net_wt103_small": ("delta_net", "wt103_small"),
    "fwp_delta_net_wt103_medium": ("delta_net", "wt103_medium"),
    "fwp_delta_net_tiny": ("delta_net", "tiny"),
    "fwp_delta_mlp_wt103_small": ("delta_mlp", "wt103_small"),
    "fwp_delta_mlp_wt103_medium": ("delta_mlp", "wt103_medium"),
    "fwp_delta_mlp_tiny": ("delta_mlp", "tiny"),
    "fwp_delta_delta_wt103_small": ("delta_delta", "wt103_small"),
    "fwp_delta_delta_wt103_medium": ("delta_delta", "wt103_medium"),
    "fwp_delta_delta_tiny": ("delta_delta", "tiny"),
    "fwp_delta_rnn_wt103_small": ("delta_rnn", "wt103_small"),
    "fwp_delta_rnn_wt103_medium": ("delta_rnn", "wt103_medium"),
    "fwp_delta_rnn_tiny": ("delta_rnn", "tiny"),
    "fwp_delta_lstm_wt103_small": ("delta_lstm", "wt103_small"),
    "fwp_delta_lstm_wt103_medium": ("delta_lstm", "wt103_medium"),
    "fwp_delta_lstm_tiny": ("delta_lstm", "tiny"),
    "fwp_rdn_wt103_small": ("rdn", "wt103_small"),
    "fwp_rdn_wt103_medium": ("rdn", "wt103_medium"),
    "fwp_rdn_tiny": ("rdn", "tiny"),
    "lstm_algorithmic": ("lstm", "algorithmic"),
    "lstm_algorithmic_tiny": ("lstm", "algorithmic_tiny"),
    "transformer_algorithmic": ("transformer", "algorithmic"),
    "transformer_algorithmic_tiny": ("transformer", "algorithmic_tiny"),
    "fwp_linear_transformer_algorithmic": ("linear_transformer", "algorithmic"),
    "fwp_linear_transformer_algorithmic_tiny": ("linear_transformer", "algorithmic_tiny"),
    "fwp_delta_net_algorithmic": ("delta_net", "algorithmic"),
    "fwp_delta_net_algorithmic_tiny": ("delta_net", "algorithmic_tiny"),
    "fwp_delta_mlp_algorithmic": ("delta_mlp", "algorithmic"),
    "fwp_delta_mlp_algorithmic_tiny": ("delta_mlp", "algorithmic_tiny"),
    "fwp_delta_delta_algorithmic": ("delta_delta", "algorithmic"),
    "fwp_delta_delta_algorithmic_tiny": ("delta_delta", "algorithmic_tiny"),
    "fwp_delta_rnn_algorithmic": ("delta_rnn", "algorithmic"),
    "fwp_delta_rnn_algorithmic_tiny": ("delta_rnn", "algorithmic_tiny"),
    "fwp_delta_lstm_algorithmic": ("delta_lstm", "algorithmic"),
    "fwp_delta_lstm_algorithmic_tiny": ("delta_lstm", "algorithmic_tiny"),
    "fwp_rdn_algorithmic": ("rdn", "algorithmic"),
    "fwp_rdn_algorithmic_tiny": ("rdn", "algorithmic_tiny"),
}
FAMILY_SETTINGS = {
    "language_model": ("wt103_small", "wt103_medium", "tiny"),
    "algorithmic": ("algorithmic", "algorithmic_tiny"),
}
# The memories of the reinforcement-learning agent (fwp_plugin.rl): no fairseq architecture.
RL_CORES: Tuple[str, ...] = ("feedforward", "lstm", "linear_transformer", "delta_net", "delta_rnn", "delta_lstm", "rdn")
FAMILIES = (*FAMILY_SETTINGS, "rl")


def model_name(name: str, choices=tuple(MODELS)) -> str:
    """The model ``name`` means (an old spelling resolved); a clear error when it is none of ``choices``."""
    model = ALIASES.get(name, name)
    if model not in choices:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(choices)}")
    return model


def models_of(family: str) -> Tuple[str, ...]:
    """The models of ``family``: those with an architecture for language_model or algorithmic
    tasks, in MODELS order, or the rl agent's cores."""
    if family == "rl":
        return RL_CORES
    settings = FAMILY_SETTINGS[family]
    present = {model for model, setting in ARCHITECTURES.values() if setting in settings}
    return tuple(model for model in MODELS if model in present)


def architecture_of(model: str, setting: str) -> str:
    """The architecture name of ``model`` (old spellings accepted) in ``setting``."""
    model = model_name(model)
    for name, (arch_model, arch_setting) in ARCHITECTURES.items():
        if (arch_model, arch_setting) == (model, setting):
            return name
    settings = [s for m, s in ARCHITECTURES.values() if m == model]
    raise ValueError(f"{model} has no {setting!r} architecture; its settings: {', '.join(settings)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("models", help="print the model names, one per line")
    listing.add_argument("--family", choices=FAMILIES, help="only the models of this family")
    name = commands.add_parser("name", help="print the name MODEL means (an old spelling resolved)")
    name.add_argument("model", help="a model name or an old spelling (" + ", ".join(ALIASES) + ")")
    name.add_argument("--family", choices=FAMILIES, help="refuse a model outside this family")
    arch = commands.add_parser("arch", help="print the architecture of MODEL in SETTING")
    arch.add_argument("model", help="a model name (or an old spelling: " + ", ".join(ALIASES) + ")")
    arch.add_argument("setting", choices=[s for settings in FAMILY_SETTINGS.values() for s in settings],
                      help="the setting")
    args = parser.parse_args()
    try:
        if args.command == "models":
            print("\n".join(models_of(args.family) if args.family else MODELS))
        elif args.command == "name":
            print(model_name(args.model, models_of(args.family) if args.family else tuple(MODELS)))
        else:
            print(architecture_of(args.model, args.setting))
    except ValueError as error:
        parser.exit(2, f"error: {error}\n")


if __name__ == "__main__":
    main()
