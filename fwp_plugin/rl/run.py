"""Building the pieces of a run from its options: environment factory, network, collector, evaluation.

Shared by ``train`` and ``evaluate``; the options themselves are declared once in ``options.py``.
"""

from argparse import Namespace
from functools import partial
from typing import List

import torch
from torchrl.collectors import Collector
from torchrl.data import Unbounded
from torchrl.envs import TensorDictPrimer, TransformedEnv
from torchrl.envs.utils import step_mdp

from .agent import CORE_STATE, ImpalaNet, acting_policy
from .envs import make_env


def network_from_options(options: Namespace, observation_shape, num_actions: int) -> ImpalaNet:
    return ImpalaNet(
        observation_shape, num_actions, options.core, torso_dim=options.torso_dim, core_dim=options.core_dim,
        core_heads=options.core_heads, core_ffn_dim=options.core_ffn_dim, core_layers=options.core_layers,
        lstm_dim=options.lstm_dim,
    )


def env_with_core_state(options: Namespace, num_envs: int, state_size: int, seed: int) -> TransformedEnv:
    """``num_envs`` environments whose resets also hand out the zero core state [num_envs, state_size]."""
    env = make_env(options.env, num_envs, seed=seed, num_cues=options.num_cues, delay=options.delay)
    primer = TensorDictPrimer({CORE_STATE: Unbounded(shape=(state_size,))}, expand_specs=True)
    return TransformedEnv(env, primer)


def describe_env(options: Namespace):
    """(observation shape, number of actions) of the environment, read off one copy."""
    env = make_env(options.env, 1, num_cues=options.num_cues, delay=options.delay)
    shape = tuple(env.observation_spec["observation"].shape[1:])
    num_actions = env.num_actions
    env.close()
    return shape, num_actions


def build_collector(options: Namespace, net: ImpalaNet) -> Collector:
    """TorchRL's collector: ``--num-actors 0`` steps the environments in this process; K >= 1 runs K
    actor processes (all waited for with ``--sync-actors``, else each batch comes from one actor)."""
    make = partial(env_with_core_state, options, options.envs_per_actor, net.state_size)
    frames = options.envs_per_actor * options.unroll_length
    policy = acting_policy(net)
    # The policy acts on the learner's device; environments and collected batches stay on the CPU.
    common = dict(total_frames=-1, auto_register_policy_transforms=False, policy_device=options.device,
                  env_device="cpu", storing_device="cpu")
    if options.num_actors == 0:
        return Collector(make(options.seed), policy, frames_per_batch=frames, **common)
    makers = [partial(make, options.seed + 1000 * actor) for actor in range(options.num_actors)]
    frames *= options.num_actors if options.sync_actors else 1
    return Collector(makers, policy, frames_per_batch=frames, num_collectors=options.num_actors,
                     sync=options.sync_actors, **common)


def unrolls(batch):
    """A collector batch as [B, T]: synchronous actors deliver [K, E, T]."""
    return batch.flatten(0, 1) if batch.batch_dims == 3 else batch


@torch.no_grad()
def evaluate(net: ImpalaNet, options: Namespace, episodes: int, num_envs: int, seed: int) -> List[float]:
    """The returns of the first ``episodes`` whole games played with greedy actions."""
    if episodes < 1:
        raise ValueError(f"--episodes must be at least 1, got {episodes}")
    env = env_with_core_state(options, num_envs, net.state_size, seed)
    policy = acting_policy(net, greedy=True)
    td = env.reset()
    returns: List[float] = []
    while len(returns) < episodes:
        td = env.step(policy(td))
        returns += td["next", "episode_return"][td["next", "game_over"]].tolist()
        td = step_mdp(td)
    env.close()
    return returns[:episodes]
