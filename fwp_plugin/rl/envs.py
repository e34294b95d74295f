"""The agent's environments: batches of N environments as TorchRL ``EnvBase``s that reset themselves.

Like IMPALA's actors, an environment never stops: where an episode ends it
starts the next one in the same step. TorchRL's ``done`` therefore stays
False (its collectors never reset them) and every step carries, besides the
observation and the reward:

    episode_start  [N] bool   this observation is the first of an episode (or of a
                              life, for Atari's episodic life): the core's state
                              is zeroed before it, and the learner cuts the return
    prev_reward    [N] float  the reward received on arriving here (0 at a reset)
    game_over      [N] bool   a whole game ended with the step that led here
    episode_return [N] float  that game's undiscounted return (raw rewards), valid where game_over

``make_env(name, num_envs, seed)`` builds either environment by name:
``cue_recall`` (a memory task that runs in seconds on a CPU) or an Atari game.
"""

import re
from typing import Optional

import numpy as np
import torch
from tensordict import TensorDict
from torchrl.data import Bounded, Categorical, Composite, Unbounded
from torchrl.envs import EnvBase

CUE_RECALL = "cue_recall"


class SelfResettingEnv(EnvBase):
    """Specs and bookkeeping shared by the environments: subclasses emit observations and rewards."""

    def __init__(self, num_envs: int, observation_spec, num_actions: int, seed: int):
        super().__init__(batch_size=torch.Size([num_envs]))
        self.num_envs = num_envs
        self.num_actions = num_actions
        flag = Unbounded(shape=(num_envs,), dtype=torch.bool)
        self.observation_spec = Composite(
            observation=observation_spec,
            prev_reward=Unbounded(shape=(num_envs,)),
            episode_start=flag,
            game_over=flag.clone(),
            episode_return=Unbounded(shape=(num_envs,)),
            shape=(num_envs,),
        )
        self.action_spec = Categorical(num_actions, shape=(num_envs,))
        self.reward_spec = Unbounded(shape=(num_envs, 1))
        self.returns = torch.zeros(num_envs)
        self._set_seed(seed)

    def _output(self, observation, reward, episode_start, game_over) -> TensorDict:
        """The step's TensorDict; accumulates and reports game returns."""
        reward = torch.as_tensor(reward, dtype=torch.float32)
        self.returns += reward
        episode_return = torch.where(game_over, self.returns, torch.zeros_like(self.returns))
        self.returns = torch.where(game_over, torch.zeros_like(self.returns), self.returns)
        not_done = torch.zeros(self.num_envs, 1, dtype=torch.bool)
        return TensorDict(
            {
                "observation": observation,
                "prev_reward": torch.where(game_over, torch.zeros_like(reward), reward),
                "episode_start": episode_start,
                "game_over": game_over,
                "episode_return": episode_return,
                "reward": reward.unsqueeze(-1),
                "done": not_done,
                "terminated": not_done.clone(),
            },
            batch_size=self.batch_size,
        )

    def _first_output(self, observation) -> TensorDict:
        """The TensorDict of a (re)start of every environment."""
        self.returns.zero_()
        starts = torch.ones(self.num_envs, dtype=torch.bool)
        output = self._output(observation, torch.zeros(self.num_envs), starts, torch.zeros_like(starts))
        del output["reward"]
        return output


class CueRecallEnv(SelfResettingEnv):
    """Recall a cue after a delay: the smallest task that needs memory.

    Each episode has ``delay + 2`` steps. Step 0 shows one of ``num_cues`` cues
    (one-hot), the next ``delay`` steps show nothing, the last one shows a
    query flag; the action taken at the query earns reward 1 if it names the
    cue, 0 otherwise (actions at other steps do nothing). Observation: [num_cues + 1]
    floats. A policy without memory succeeds with probability 1 / num_cues.
    """

    def __init__(self, num_envs: int, num_cues: int = 4, delay: int = 8, seed: int = 0):
        if num_cues < 2 or delay < 0:
            raise ValueError(f"cue_recall needs --num-cues >= 2 and --delay >= 0, got {num_cues} and {delay}")
        self.num_cues, self.delay = num_cues, delay
        spec = Bounded(low=0.0, high=1.0, shape=(num_envs, num_cues + 1), dtype=torch.float32)
        super().__init__(num_envs, spec, num_actions=num_cues, seed=seed)
        self.cues = torch.zeros(num_envs, dtype=torch.long)
        self.steps = torch.zeros(num_envs, dtype=torch.long)

    def _observation(self) -> torch.Tensor:
        observation = torch.zeros(self.num_envs, self.num_cues + 1)
        at_cue = self.steps == 0
        observation[at_cue, self.cues[at_cue]] = 1.0
        observation[self.steps == self.delay + 1, self.num_cues] = 1.0
        return observation

    def _new_cues(self, where: torch.Tensor) -> None:
        fresh = torch.randint(self.num_cues, (self.num_envs,), generator=self.generator)
        self.cues = torch.where(where, fresh, self.cues)
        self.steps = torch.where(where, torch.zeros_like(self.steps), self.steps)

    def _reset(self, tensordict: Optional[TensorDict] = None, **kwargs) -> TensorDict:
        self._new_cues(torch.ones(self.num_envs, dtype=torch.bool))
        return self._first_output(self._observation())

    def _step(self, tensordict: TensorDict) -> TensorDict:
        action = tensordict["action"].long()
        at_query = self.steps == self.delay + 1
        reward = (at_query & (action == self.cues)).float()
        self.steps = self.steps + 1
        self._new_cues(at_query)
        return self._output(self._observation(), reward, at_query, at_query)

    def _set_seed(self, seed: Optional[int]) -> None:
        self.generator = torch.Generator().manual_seed(0 if seed is None else seed)


def ale_game_name(name: str) -> str:
    """'PongNoFrameskip-v4', 'MsPacman' or 'ms_pacman' -> ALE's ROM name 'ms_pacman' (checked)."""
    from ale_py import roms

    base = re.sub(r"(NoFrameskip)?-v\d+$", "", name.removeprefix("ALE/"))
    rom = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", base).lower()
    if rom not in roms.get_all_rom_ids():
        raise ValueError(
            f"unknown environment {name!r}: not {CUE_RECALL!r} and no Atari ROM {rom!r} in ale-py; "
            f"Atari games: {', '.join(sorted(roms.get_all_rom_ids()))}"
        )
    return rom


class AtariEnv(SelfResettingEnv):
    """N Atari games with the IMPALA/DQN preprocessing, run by ale-py's vector environment (C++).

    As in the authors' agent (``<Game>NoFrameskip-v4`` with the DeepMind wrappers):
    up to 30 no-ops at a reset, 4 frames per action (max over the last two),
    84x84 greyscale, 4 stacked frames ([4, 84, 84] uint8), fire at reset where
    the game has FIRE, no sticky actions, raw rewards (the learner clips them),
    episodic life (``episode_start`` at each life lost; the game goes on) and
    the NoFrameskip-v4 limit of 400,000 frames per game.
    """

    def __init__(self, game: str, num_envs: int, seed: int = 0, max_frames_per_game: int = 400_000):
        from ale_py.vector_env import AtariVectorEnv

        self.game = ale_game_name(game)
        self.ale = AtariVectorEnv(
            self.game, num_envs, noop_max=30, frameskip=4, maxpool=True, grayscale=True, img_height=84,
            img_width=84, stack_num=4, use_fire_reset=True, episodic_life=False, life_loss_info=True,
            reward_clipping=False, repeat_action_probability=0.0, max_num_frames_per_episode=max_frames_per_game,
            autoreset_mode="SameStep",
        )
        spec = Bounded(low=0, high=255, shape=(num_envs, 4, 84, 84), dtype=torch.uint8)
        self.reset_seed = seed
        super().__init__(num_envs, spec, num_actions=int(self.ale.single_action_space.n), seed=seed)
        self.frame_numbers = np.zeros(num_envs, dtype=np.int64)

    def _reset(self, tensordict: Optional[TensorDict] = None, **kwargs) -> TensorDict:
        observation, info = self.ale.reset(seed=self.reset_seed)
        self.frame_numbers = info["episode_frame_number"].astype(np.int64)
        return self._first_output(torch.from_numpy(observation))

    def _step(self, tensordict: TensorDict) -> TensorDict:
        observation, reward, terminated, truncated, info = self.ale.step(tensordict["action"].numpy().astype(np.int64))
        frame_numbers = info["episode_frame_number"].astype(np.int64)
        # A new game started within this step exactly where the game's frame count went back.
        game_over = torch.from_numpy(frame_numbers < self.frame_numbers)
        self.frame_numbers = frame_numbers
        episode_start = torch.from_numpy(terminated | truncated) | game_over
        return self._output(torch.from_numpy(observation), reward, episode_start, game_over)

    def _set_seed(self, seed: Optional[int]) -> None:
        self.reset_seed = 0 if seed is None else seed


def make_env(name: str, num_envs: int, seed: int = 0, num_cues: int = 4, delay: int = 8) -> SelfResettingEnv:
    """``cue_recall`` (with ``num_cues`` and ``delay``) or an Atari game by name, ``num_envs`` copies."""
    if num_envs < 1:
        raise ValueError(f"--num-envs must be at least 1, got {num_envs}")
    if name == CUE_RECALL:
        return CueRecallEnv(num_envs, num_cues=num_cues, delay=delay, seed=seed)
    return AtariEnv(name, num_envs, seed=seed)
