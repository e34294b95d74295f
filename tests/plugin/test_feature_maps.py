"""Feature maps phi: output sizes and the properties MODELS.md defines them by."""

import torch
import torch.nn.functional as F

from fwp_plugin.modules import FeatureMap


def test_elu1_is_positive():
    z = torch.randn(5, 8) * 4
    assert (FeatureMap("elu1")(z) > 0).all()


def test_sum_normalised_maps_sum_to_one():
    z = torch.randn(5, 8)
    for name in ("elu1_sumnorm", "dpfp_sumnorm"):
        torch.testing.assert_close(FeatureMap(name, dpfp_nu=2)(z).sum(-1), torch.ones(5))


def test_dpfp_matches_its_definition():
    z = torch.randn(3, 4, dtype=torch.float64)
    feature_map = FeatureMap("dpfp", dpfp_nu=3)
    out = feature_map(z)
    assert out.shape == (3, feature_map.output_dim(4)) == (3, 24)
    r = torch.cat([F.relu(z), F.relu(-z)], dim=-1)
    for i in range(1, 4):
        for j in range(8):
            torch.testing.assert_close(out[:, (i - 1) * 8 + j], r[:, j] * r[:, (j - i) % 8])


def test_silu_l2_has_unit_norm():
    z = torch.randn(5, 8)
    torch.testing.assert_close(FeatureMap("silu_l2")(z).norm(dim=-1), torch.ones(5))


def test_softmax_is_a_distribution_per_head():
    out = FeatureMap("softmax")(torch.randn(5, 8))
    torch.testing.assert_close(out.sum(-1), torch.ones(5))
