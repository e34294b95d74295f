"""Feature maps phi applied per head to slow-net keys and queries.

Every map takes ``[..., d]`` and returns ``[..., d']``; ``FeatureMap.output_dim``
gives ``d'`` (``d`` for all maps except DPFP, whose output has ``2 * nu * d``
entries). Definitions follow ``MODELS.md``:

- ``elu1``: ``elu(z) + 1`` (Linear Transformer)
- ``elu1_sumnorm``: ``sumnorm(elu1(z))``, the paper's map for the delta rule

with ``sumnorm(z) = z / (sum_i z_i + eps)``, ``eps = sumnorm_eps`` (default 1e-6; the
published models use 0, or 1e-5 for the Delta MLP and Delta Delta Net).
- ``dpfp``: ``concat_{i=1..nu} r(z) * roll(r(z), i)`` with ``r(z) = [relu(z); relu(-z)]``
- ``dpfp_sumnorm``: ``sumnorm(dpfp(z))``
- ``silu_l2``: ``silu(z) / ||silu(z)||_2`` (modern DeltaNet recipe)
- ``softmax``: softmax over the ``d`` entries of one head
"""

import torch
import torch.nn.functional as F
from torch import nn

FEATURE_MAP_NAMES = ("elu1", "elu1_sumnorm", "dpfp", "dpfp_sumnorm", "silu_l2", "softmax")

SUMNORM_EPS = 1e-6
L2_EPS = 1e-6


def sum_normalize(z: torch.Tensor, eps: float = SUMNORM_EPS) -> torch.Tensor:
    """``z / (sum_i z_i + eps)`` over the last axis (entries are non-negative)."""
    return z / (z.sum(dim=-1, keepdim=True) + eps)


def dpfp(z: torch.Tensor, nu: int) -> torch.Tensor:
    """Deterministic parameter-free projection: ``[..., d] -> [..., 2 * nu * d]``."""
    r = torch.cat([F.relu(z), F.relu(-z)], dim=-1)
    return torch.cat([r * r.roll(shifts=i, dims=-1) for i in range(1, nu + 1)], dim=-1)


class FeatureMap(nn.Module):
    """A named, parameter-free feature map phi (see the module docstring)."""

    def __init__(self, name: str, dpfp_nu: int = 1, sumnorm_eps: float = SUMNORM_EPS):
        super().__init__()
        name = str(name)  # fairseq passes its choice enums
        if name not in FEATURE_MAP_NAMES:
            raise ValueError(
                f"unknown feature map {name!r}; choose one of {', '.join(FEATURE_MAP_NAMES)}"
            )
        if name.startswith("dpfp") and dpfp_nu < 1:
            raise ValueError(f"dpfp_nu must be >= 1, got {dpfp_nu}")
        if sumnorm_eps < 0:
            raise ValueError(f"sumnorm_eps must be >= 0, got {sumnorm_eps}")
        self.name = name
        self.dpfp_nu = dpfp_nu
        self.sumnorm_eps = sumnorm_eps

    def output_dim(self, head_dim: int) -> int:
        if self.name.startswith("dpfp"):
            return 2 * self.dpfp_nu * head_dim
        return head_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.name == "elu1":
            return F.elu(z) + 1
        if self.name == "elu1_sumnorm":
            return sum_normalize(F.elu(z) + 1, self.sumnorm_eps)
        if self.name == "dpfp":
            return dpfp(z, self.dpfp_nu)
        if self.name == "dpfp_sumnorm":
            return sum_normalize(dpfp(z, self.dpfp_nu), self.sumnorm_eps)
        if self.name == "silu_l2":
            return F.normalize(F.silu(z), p=2, dim=-1, eps=L2_EPS)
        return torch.softmax(z, dim=-1)

    def extra_repr(self) -> str:
        return f"{self.name}, nu={self.dpfp_nu}" if self.name.startswith("dpfp") else self.name
