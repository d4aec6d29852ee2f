"""The viola attention module against eqs. 1-6 computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ichseg.models.viola import ViolaAttention, ViolaUNet, ddcm_dilations, ddcm_kernel_size


def test_ddcm_kernel_and_dilations():
    assert ddcm_kernel_size(16) == 3 and ddcm_kernel_size(64) == 7 and ddcm_kernel_size(320) == 23
    assert ddcm_dilations(3) == [1, 3, 5, 7]
    attention = ViolaAttention(channels=96)
    layer = attention.ddcm[0].layers[2][0]
    assert layer.kernel_size == (9, 1) and layer.dilation == (17, 1)


def _by_hand(v_h, v_w, v_d):
    """Eqs. 1-5 with NumPy for one sample: GN over the concatenated profiles, 2 groups."""
    c = v_h.shape[0]
    joined = np.concatenate([v_h, v_w, v_d], axis=1)
    normalised = np.empty_like(joined)
    for group in np.split(np.arange(c), 2):
        values = joined[group]
        normalised[group] = (values - values.mean()) / np.sqrt(values.var() + 1e-5)
    tanh = np.tanh(normalised)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    h, w = v_h.shape[1], v_w.shape[1]
    x_h = 0.5 * (sig(v_h) + tanh[:, :h])[:, :, None, None]
    x_w = 0.5 * (sig(v_w) + tanh[:, h : h + w])[:, None, :, None]
    x_d = 0.5 * (sig(v_d) + tanh[:, h + w :])[:, None, None, :]
    a_tt = x_h * x_w + x_w * x_d + x_d * x_h + x_h * x_w * x_d
    a_hat = np.maximum(x_h + x_w + x_d, 0)
    a = 0.1 * (a_tt + a_hat) + 0.3
    return a + a / np.linalg.norm(a)


def test_attention_map_matches_equations():
    torch.manual_seed(0)
    module = ViolaAttention(channels=4)
    v_h = torch.tensor([[[0.5, -1.0, 2.0], [0.0, 1.0, -0.5], [1.5, 0.2, 0.3], [-2.0, 0.7, 0.1]]])
    v_w = torch.tensor([[[1.0, -1.0], [0.3, 0.4], [-0.6, 0.9], [0.0, 0.0]]])
    v_d = torch.tensor([[[0.2], [-0.3], [1.2], [0.8]]])
    ours = module.attention_map(v_h, v_w, v_d)[0].detach().numpy()
    expected = _by_hand(v_h[0].numpy(), v_w[0].numpy(), v_d[0].numpy())
    assert ours.shape == (4, 3, 2, 1)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)


def test_forward_is_x_times_attention():
    torch.manual_seed(1)
    module = ViolaAttention(channels=8).eval()
    x = torch.randn(1, 8, 5, 4, 3)
    v = [module.ddcm[0](x.mean(dim=(3, 4))), module.ddcm[1](x.mean(dim=(2, 4))), module.ddcm[2](x.mean(dim=(2, 3)))]
    expected = x * module.attention_map(*v)
    torch.testing.assert_close(module(x), expected)
    # The attention is bounded below by 0.3 (eq. 5) so no voxel is silenced.
    assert float(module.attention_map(*v).min().detach()) >= 0.3


def test_2d_input_is_refused():
    with pytest.raises(ValueError, match="3D feature maps"):
        ViolaAttention(channels=4)(torch.randn(1, 4, 8, 8))


def test_summed_deep_supervision_at_inference():
    net = ViolaUNet(3, 1, 2, kernel_size=[[3, 3, 1], [3, 3, 3], [3, 3, 3]], strides=[[1, 1, 1], [2, 2, 1], [2, 2, 2]],
                    upsample_kernel_size=[[2, 2, 1], [2, 2, 2]], filters=(8, 16, 32), decoder_filters=(8, 8),
                    deep_supervision=True, deep_supr_num=1, sum_deep_supervision=True).eval()
    with torch.no_grad():
        out = net(torch.randn(1, 1, 16, 16, 8))
    # softmax main (sums to 1) + 0.5 * softmax head (sums to 1) per voxel
    torch.testing.assert_close(out.sum(dim=1), torch.full((1, 16, 16, 8), 1.5))


def test_gated_variant_builds():
    net = ViolaUNet(3, 1, 2, kernel_size=[[3, 3, 3]] * 3, strides=[[1, 1, 1], [2, 2, 2], [2, 2, 2]],
                    upsample_kernel_size=[[2, 2, 2]] * 2, filters=(8, 16, 32), gated=True)
    assert net(torch.randn(2, 1, 16, 16, 16)).shape == (2, 2, 16, 16, 16)
