"""The learner: TorchRL's V-trace against the paper's definition, and the IMPALA loss of a
collected batch against an independent recomputation."""

import torch
from torch.nn import functional as F

from fwp_plugin.rl.learner import LossWeights, impala_loss, vtrace
from rl_helpers import collect_batches, tiny_options, tiny_net


def vtrace_reference(log_rhos, values, rewards, episode_ends, gamma):
    """Espeholt et al. 2018, eq. (1), as an explicit sum (rho and c clipped at 1), per row:
    v_s = V_s + sum_{t>=s} (prod_{s<=i<t} gamma_i c_i) rho_t (r_t + gamma_t V_{t+1} - V_t),
    gamma_t = 0 where step t ended an episode; advantage_s = rho_s (r_s + gamma_s v_{s+1} - V_s)."""
    batch, length = rewards.shape
    rho = log_rhos.exp().clamp(max=1.0)
    c = log_rhos.exp().clamp(max=1.0)
    discounts = gamma * (~episode_ends).double()
    targets = torch.zeros(batch, length, dtype=torch.float64)
    advantages = torch.zeros(batch, length, dtype=torch.float64)
    for b in range(batch):
        deltas = [rho[b, t] * (rewards[b, t] + discounts[b, t] * values[b, t + 1] - values[b, t]) for t in range(length)]
        for s in range(length):
            total, weight = 0.0, 1.0
            for t in range(s, length):
                total = total + weight * deltas[t]
                weight = weight * discounts[b, t] * c[b, t]
            targets[b, s] = values[b, s] + total
        for s in range(length):
            next_target = targets[b, s + 1] if s + 1 < length else values[b, length]
            advantages[b, s] = rho[b, s] * (rewards[b, s] + discounts[b, s] * next_target - values[b, s])
    return targets, advantages


def test_vtrace_matches_the_paper_definition():
    generator = torch.Generator().manual_seed(0)
    batch, length = 3, 7
    log_rhos = torch.randn(batch, length, generator=generator, dtype=torch.float64)  # rho above and below 1
    values = torch.randn(batch, length + 1, generator=generator, dtype=torch.float64)
    rewards = torch.randn(batch, length, generator=generator, dtype=torch.float64)
    episode_ends = torch.zeros(batch, length, dtype=torch.bool)
    episode_ends[0, 2] = episode_ends[1, 6] = episode_ends[2, 0] = episode_ends[2, 4] = True
    targets, advantages = vtrace(log_rhos, values, rewards, episode_ends, gamma=0.9)
    expected_targets, expected_advantages = vtrace_reference(log_rhos, values, rewards, episode_ends, 0.9)
    torch.testing.assert_close(targets, expected_targets)
    torch.testing.assert_close(advantages, expected_advantages)


def test_impala_loss_of_a_collected_batch():
    """Recompute the loss from the batch by hand: the bootstrap step, behaviour log-probs,
    clipping, the start state and the sums over time and batch."""
    options = tiny_options("delta_net", delay=1)
    net = tiny_net(options)
    batch = collect_batches(options, net, count=2)[1]  # the second: a carried start state
    assert batch["core_state"][:, 0].abs().max() > 0
    assert batch["next", "reward"].max() == 1 and batch["next", "episode_start"].any()
    batch["next", "reward"] = batch["next", "reward"] * 3  # so that clipping matters
    weights = LossWeights(gamma=0.9, baseline_cost=0.5, entropy_cost=0.01, reward_clip=1.0)
    loss, _ = impala_loss(net, batch, weights)

    length = batch.shape[1]
    observation = torch.cat([batch["observation"], batch["next", "observation"][:, -1:]], dim=1)
    prev_reward = torch.cat([batch["prev_reward"], batch["next", "prev_reward"][:, -1:]], dim=1)
    starts = torch.cat([batch["episode_start"], batch["next", "episode_start"][:, -1:]], dim=1)
    logits, values, _ = net(observation, prev_reward, starts, batch["core_state"][:, 0])
    log_probs = F.log_softmax(logits[:, :length], -1)
    action = batch["action"].long()
    log_pi = log_probs.gather(-1, action.unsqueeze(-1)).squeeze(-1)
    log_mu = F.log_softmax(batch["behaviour_logits"], -1).gather(-1, action.unsqueeze(-1)).squeeze(-1)
    rewards = batch["next", "reward"].squeeze(-1).clamp(-1, 1).double()
    targets, advantages = vtrace_reference(
        (log_pi - log_mu).detach().double(), values.detach().double(), rewards, batch["next", "episode_start"], 0.9
    )
    expected = (
        -(log_pi * advantages.float()).sum()
        + 0.5 * 0.5 * (targets.float() - values[:, :length]).pow(2).sum()
        + 0.01 * (log_probs.exp() * log_probs).sum()
    )
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-5)


def test_no_gradient_crosses_the_unroll_boundary():
    options = tiny_options("rdn", delay=1)
    net = tiny_net(options)
    batch = collect_batches(options, net, count=2)[1]
    batch["core_state"] = batch["core_state"].clone().requires_grad_(True)
    loss, _ = impala_loss(net, batch, LossWeights())
    loss.backward()
    assert batch["core_state"].grad is None
    assert all(p.grad is not None for p in net.parameters())


def test_collected_unrolls_chain_the_actor_state():
    """The state stored at an unroll's first step is the actor's state after the previous unroll."""
    options = tiny_options("delta_rnn", delay=2)
    net = tiny_net(options)
    first, second = collect_batches(options, net, count=2)
    torch.testing.assert_close(second["core_state"][:, 0], first["next", "core_state"][:, -1])
    torch.testing.assert_close(second["observation"][:, 0], first["next", "observation"][:, -1])
    # Rerunning the first unroll from its start state reproduces the actor's final state.
    starts = first["episode_start"]
    _, _, final = net(first["observation"], first["prev_reward"], starts, first["core_state"][:, 0])
    torch.testing.assert_close(final, first["next", "core_state"][:, -1], rtol=1e-4, atol=1e-5)
