"""The IMPALA loss on one batch of unrolls, with TorchRL's V-trace.

A batch from the collector is a [B, T] TensorDict: at each step the
observation, prev_reward, episode_start and the core state the actor had
before the step, the action, the actor's logits, and under "next" what the
step led to. The learner reruns the network over the T steps plus the next
observation of the last one (to bootstrap), starting from the actor's state at
the unroll's first step, detached (truncated backpropagation through time,
no burn-in). With rho_t = pi(a_t|x_t) / mu(a_t|x_t) (pi: the learner's
policy, mu: the actor's) and v_s the V-trace targets (Espeholt et al. 2018),

    loss = - sum_t log pi(a_t) * min(1, rho_t) (r_t + gamma v_{t+1} - V_t)   (policy gradient)
           + baseline_cost * 0.5 * sum_t (v_t - V_t)^2                       (baseline)
           - entropy_cost * sum_t H(pi(.|x_t))                               (entropy bonus)

summed over time and batch as published; r_t clipped to [-1, 1]; the return is
cut (no bootstrap, no trace) where the next observation starts a new episode.
"""

from dataclasses import dataclass
from typing import Dict, Tuple

import torch
from tensordict import TensorDict
from torch.nn import functional as F
from torchrl.objectives.value.functional import vtrace_advantage_estimate

from .agent import CORE_STATE, ImpalaNet


@dataclass
class LossWeights:
    gamma: float = 0.99
    baseline_cost: float = 0.5
    entropy_cost: float = 0.01
    reward_clip: float = 1.0


def with_bootstrap_step(batch: TensorDict, key: str) -> torch.Tensor:
    """[B, T, ...] values of ``key`` followed by the last step's next value: [B, T + 1, ...]."""
    return torch.cat([batch[key], batch["next", key][:, -1:]], dim=1)


def vtrace(
    log_rhos: torch.Tensor, values: torch.Tensor, rewards: torch.Tensor, episode_ends: torch.Tensor, gamma: float
) -> Tuple[torch.Tensor, torch.Tensor]:
    """V-trace targets v_s and policy-gradient advantages, by TorchRL (rho and c clipped at 1).

    log_rhos = log pi - log mu of the actions taken: [B, T]; values: [B, T + 1] (the last one
    bootstraps); rewards, episode_ends: [B, T] (episode_ends[t]: step t ended an episode) ->
    (v: [B, T], min(1, rho_t) (r_t + gamma_t v_{t+1} - V_t): [B, T]), gamma_t = 0 at episode ends.
    """
    ends = episode_ends.unsqueeze(-1)
    advantage, target = vtrace_advantage_estimate(
        gamma,
        log_rhos.unsqueeze(-1),
        torch.zeros_like(log_rhos).unsqueeze(-1),
        values[:, :-1].unsqueeze(-1),
        values[:, 1:].unsqueeze(-1),
        rewards.unsqueeze(-1),
        ends,
        terminated=ends,
    )
    return target.squeeze(-1), advantage.squeeze(-1)


def impala_loss(net: ImpalaNet, batch: TensorDict, weights: LossWeights) -> Tuple[torch.Tensor, Dict[str, float]]:
    """The summed IMPALA loss of a [B, T] batch and its parts (floats, for logging)."""
    logits, values, _ = net(
        with_bootstrap_step(batch, "observation"),
        with_bootstrap_step(batch, "prev_reward"),
        with_bootstrap_step(batch, "episode_start"),
        batch[CORE_STATE][:, 0].detach(),
    )
    log_probs = F.log_softmax(logits[:, :-1], dim=-1)  # [B, T, A]
    action = batch["action"].long().unsqueeze(-1)
    log_pi = log_probs.gather(-1, action).squeeze(-1)  # [B, T]
    log_mu = F.log_softmax(batch["behaviour_logits"], dim=-1).gather(-1, action).squeeze(-1)
    reward = batch["next", "reward"].squeeze(-1).clamp(-weights.reward_clip, weights.reward_clip)
    value_target, advantage = vtrace(
        (log_pi - log_mu).detach(), values.detach(), reward, batch["next", "episode_start"], weights.gamma
    )
    policy_loss = -(log_pi * advantage).sum()
    baseline_loss = weights.baseline_cost * 0.5 * (value_target - values[:, :-1]).pow(2).sum()
    entropy = -(log_probs.exp() * log_probs).sum()
    loss = policy_loss + baseline_loss - weights.entropy_cost * entropy
    stats = {
        "loss": loss.item(),
        "policy_loss": policy_loss.item(),
        "baseline_loss": baseline_loss.item(),
        "entropy": entropy.item() / log_pi.numel(),
    }
    return loss, stats
