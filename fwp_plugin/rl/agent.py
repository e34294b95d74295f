"""The IMPALA agent's network, and the TorchRL policy that acts with it.

Network, as in the authors' agent (IDSIA/recurrent-fwp, ``reinforcement_learning/``)::

    f_t   = torso(o_t)                       # Atari: IMPALA ResNet + FC 256; vectors: FC 256
    x_t   = [f_t; clip(r_{t-1}, -1, 1)]      # 257 features
    y_t   = core(x_{1..t}, state)            # see cores.py; state zeroed where an episode starts
    pi_t  = softmax(W_pi y_t),  V_t = w_V . y_t

The network runs on whole unrolls ``[B, T]`` (the learner) and on single steps
(the actors, through ``acting_policy``), with the same code.
"""

from typing import Sequence, Tuple

import torch
from tensordict.nn import TensorDictModule
from torch import nn
from torch.nn import functional as F

from .cores import build_core

CORE_STATE = "core_state"
POLICY_IN_KEYS = ["observation", "prev_reward", "episode_start", CORE_STATE]
POLICY_OUT_KEYS = ["action", "behaviour_logits", ("next", CORE_STATE)]


class ResidualBlock(nn.Module):
    """x + conv(relu(conv(relu(x)))), 3x3 convolutions keeping the channels."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


class AtariTorso(nn.Module):
    """[N, 4, 84, 84] uint8 frames -> [N, out_dim]: the IMPALA ResNet (16, 32, 32 channels), ReLU, FC, ReLU.

    Each stage: conv 3x3, max-pool 3x3 stride 2, two residual blocks (84 -> 42 -> 21 -> 11).
    """

    def __init__(self, in_channels: int = 4, out_dim: int = 256, channels: Sequence[int] = (16, 32, 32)):
        super().__init__()
        stages = []
        for out_channels in channels:
            stages += [
                nn.Conv2d(in_channels, out_channels, 3, padding=1),
                nn.MaxPool2d(3, stride=2, padding=1),
                ResidualBlock(out_channels),
                ResidualBlock(out_channels),
            ]
            in_channels = out_channels
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(channels[-1] * 11 * 11, out_dim)

    def forward(self, frames):
        features = F.relu(self.stages(frames.float() / 255.0))
        return F.relu(self.fc(features.flatten(1)))


class VectorTorso(nn.Module):
    """[N, F] float observations -> [N, out_dim]: FC, ReLU."""

    def __init__(self, in_dim: int, out_dim: int = 256):
        super().__init__()
        self.fc = nn.Linear(in_dim, out_dim)

    def forward(self, observation):
        return F.relu(self.fc(observation.float()))


class ImpalaNet(nn.Module):
    """observation [B, T, *obs], prev_reward [B, T], episode_start [B, T], state [B, S]
    -> (policy logits [B, T, A], baseline [B, T], final state [B, S])."""

    def __init__(
        self,
        observation_shape: Tuple[int, ...],
        num_actions: int,
        core: str,
        torso_dim: int = 256,
        core_dim: int = 128,
        core_heads: int = 4,
        core_ffn_dim: int = 512,
        core_layers: int = 2,
        lstm_dim: int = 256,
    ):
        super().__init__()
        if tuple(observation_shape) == (4, 84, 84):
            self.torso = AtariTorso(out_dim=torso_dim)
        elif len(observation_shape) == 1:
            self.torso = VectorTorso(observation_shape[0], out_dim=torso_dim)
        else:
            raise ValueError(f"no torso for observations of shape {tuple(observation_shape)}: "
                             "expected Atari frames [4, 84, 84] or a vector")
        self.core = build_core(core, torso_dim + 1, core_dim, core_heads, core_ffn_dim, core_layers, lstm_dim)
        self.policy = nn.Linear(self.core.output_dim, num_actions)
        self.baseline = nn.Linear(self.core.output_dim, 1)
        self.state_size = self.core.state_size

    def forward(self, observation, prev_reward, episode_start, state):
        batch, length = prev_reward.shape
        features = self.torso(observation.flatten(0, 1)).view(batch, length, -1)
        x = torch.cat([features, prev_reward.clamp(-1, 1).unsqueeze(-1).to(features.dtype)], dim=-1)
        y, state = self.core(x, state, episode_start)
        return self.policy(y), self.baseline(y).squeeze(-1), state


class StepActor(nn.Module):
    """One step of every environment: the network on T = 1, then an action (sampled, or greedy)."""

    def __init__(self, net: ImpalaNet, greedy: bool = False):
        super().__init__()
        self.net, self.greedy = net, greedy

    def forward(self, observation, prev_reward, episode_start, state):
        logits, _, state = self.net(observation.unsqueeze(1), prev_reward.unsqueeze(1), episode_start.unsqueeze(1), state)
        logits = logits.squeeze(1)
        if self.greedy:
            action = logits.argmax(dim=-1)
        else:
            action = torch.multinomial(F.softmax(logits, dim=-1), 1).squeeze(-1)
        return action, logits, state


def acting_policy(net: ImpalaNet, greedy: bool = False) -> TensorDictModule:
    """The TorchRL policy: reads the step's observation, prev_reward, episode_start and
    core_state, writes the action, the logits it was drawn from and the next core_state."""
    return TensorDictModule(StepActor(net, greedy), in_keys=POLICY_IN_KEYS, out_keys=POLICY_OUT_KEYS)
