"""The command-line options of ``python -m fwp_plugin.rl.train`` (defaults: the paper's setting).

Hyper-parameters as in the authors' IMPALA runs (IDSIA/recurrent-fwp,
``reinforcement_learning/README.md`` and ``polybeast_learner.py``).
"""

import argparse

from ..model_names import ALIASES
from .cores import CORES

# Options that fix the network: a checkpoint only loads into a run with the same values.
NETWORK_OPTIONS = ("env", "core", "torso_dim", "core_dim", "core_heads", "core_ffn_dim", "core_layers", "lstm_dim",
                   "num_cues", "delay")


def add_environment_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("environment")
    group.add_argument("--env", required=True,
                       help="'cue_recall' (the memory task) or an Atari game: 'PongNoFrameskip-v4', 'Pong' or 'pong'")
    group.add_argument("--num-cues", type=int, default=4,
                       help="cue_recall: number of cues (= actions); chance success is 1/num_cues")
    group.add_argument("--delay", type=int, default=8,
                       help="cue_recall: empty steps between the cue and the query")


def add_network_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("network")
    group.add_argument("--core", required=True, choices=CORES, type=lambda name: ALIASES.get(name, name),
                       help="the agent's memory: feedforward (none), lstm, or a fast-weight core named by its "
                            "model: linear_transformer, delta_net, delta_rnn, delta_lstm, rdn (Recurrent Delta "
                            "Net); linear and delta are accepted old spellings")
    group.add_argument("--torso-dim", type=int, default=256, help="size of the torso's last FC layer")
    group.add_argument("--core-dim", type=int, default=128, help="fast-weight cores: model size (257 -> this)")
    group.add_argument("--core-heads", type=int, default=4, help="fast-weight cores: heads (head size = dim / heads)")
    group.add_argument("--core-ffn-dim", type=int, default=512, help="fast-weight cores: feed-forward hidden size")
    group.add_argument("--core-layers", type=int, default=2, help="fast-weight cores: number of blocks")
    group.add_argument("--lstm-dim", type=int, default=256, help="lstm core: hidden units")


def training_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fwp_plugin.rl.train",
        description="Train an IMPALA agent (V-trace) whose memory is an LSTM or a fast weight programmer. "
                    "Re-running the same command resumes from SAVE_DIR/checkpoint_last.pt.",
    )
    parser.add_argument("--save-dir", required=True,
                        help="run directory: checkpoints, log.csv, returns.csv, learning_curve.png")
    add_environment_options(parser)
    add_network_options(parser)
    group = parser.add_argument_group("actors")
    group.add_argument("--num-actors", type=int, default=0,
                       help="actor processes (TorchRL collector workers); 0 steps the environments in the "
                            "learner's process")
    group.add_argument("--envs-per-actor", type=int, default=32,
                       help="environments stepped together by each actor (a batch of unrolls)")
    group.add_argument("--sync-actors", action="store_true",
                       help="each update waits for every actor (batch = actors x envs); by default each update "
                            "takes the next actor's batch (asynchronous, IMPALA's off-policy setting)")
    group.add_argument("--unroll-length", type=int, default=50, help="steps per unroll (truncated BPTT span)")
    group = parser.add_argument_group("learner")
    group.add_argument("--total-steps", type=int, default=200_000_000,
                       help="agent steps to train for (1 step = 4 Atari frames); the learning rate decays "
                            "linearly to 0 over them")
    group.add_argument("--learning-rate", type=float, default=6e-4, help="RMSprop learning rate")
    group.add_argument("--rmsprop-alpha", type=float, default=0.99, help="RMSprop smoothing constant")
    group.add_argument("--rmsprop-eps", type=float, default=0.01, help="RMSprop epsilon")
    group.add_argument("--rmsprop-momentum", type=float, default=0.0, help="RMSprop momentum")
    group.add_argument("--grad-norm-clip", type=float, default=40.0, help="clip the global gradient norm to this")
    group.add_argument("--discount", type=float, default=0.99, help="discount gamma")
    group.add_argument("--entropy-cost", type=float, default=0.01, help="weight of the entropy bonus")
    group.add_argument("--baseline-cost", type=float, default=0.5, help="weight of the baseline loss 0.5 sum (v - V)^2")
    group.add_argument("--reward-clip", type=float, default=1.0, help="the learner clips rewards to [-c, c]")
    group.add_argument("--device", default="cpu", help="learner device (cpu, cuda); actors run on the CPU")
    group = parser.add_argument_group("run")
    group.add_argument("--seed", type=int, default=1, help="seed of the network, the environments and the actions")
    group.add_argument("--checkpoint-every", type=int, default=1_000_000,
                       help="write checkpoint_last.pt every this many agent steps (and at the end)")
    group.add_argument("--keep-checkpoints-at", type=int, nargs="*", default=[50_000_000],
                       help="also keep checkpoint_<steps>.pt at these agent steps (the paper evaluates at 50M)")
    group.add_argument("--log-every", type=float, default=30.0, help="seconds between progress lines")
    group.add_argument("--eval-episodes", type=int, default=0,
                       help="after training, play this many whole games greedily and write eval.json")
    return parser


def evaluation_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fwp_plugin.rl.evaluate",
        description="Play whole games greedily with a trained agent; print (and write with --output) the returns.",
    )
    parser.add_argument("checkpoint", help="a checkpoint_*.pt written by fwp_plugin.rl.train")
    parser.add_argument("--episodes", type=int, default=30, help="number of whole games (episodes) to play")
    parser.add_argument("--num-envs", type=int, default=8, help="games played at once")
    parser.add_argument("--seed", type=int, default=12345, help="seed of the evaluation environments")
    parser.add_argument("--output", help="write the returns and their statistics to this JSON file")
    return parser


def check_training_options(options: argparse.Namespace) -> None:
    """Reject settings that cannot run, naming the fix."""
    positive = ("envs_per_actor", "unroll_length", "total_steps", "checkpoint_every")
    for name in positive:
        if getattr(options, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(options, name)}")
    if options.num_actors < 0:
        raise ValueError(f"--num-actors must be 0 (no actor processes) or more, got {options.num_actors}")
