"""Every registered model builds, runs forward and backward on tiny inputs, and keeps
the input's spatial shape (deep-supervision heads stacked at full size when training)."""

from __future__ import annotations

import pytest
import torch

from ichseg.models import MODELS, build_model, count_parameters, size_multiple

CASES = [(name, dims) for name in MODELS.names() for dims in MODELS.entry(name).metadata["dims"]]


# Batch-norm and layer-norm networks tolerate a 1-voxel bottleneck with batch 2; the
# rest get twice the divisor so instance norm sees more than one voxel.
ONE_DIVISOR = {"vnet", "unet2d", "unetplusplus", "linknet", "deeplabv3plus"}
# MONAI's TransformerBlock creates cross-attention norms that it uses only with cross-attention.
UNUSED_BY_DESIGN = ("norm_cross_attn",)


def _input_shape(name, dims):
    multiple = size_multiple(name, dims)
    if name == "swin_unetr":  # instance norm at the bottleneck: 2x2(x1) voxels are enough
        return tuple(2 * m for m in multiple[:2]) + multiple[2:]
    factor = 1 if name in ONE_DIVISOR else 2
    return tuple(factor * m for m in multiple)


@pytest.mark.parametrize("name, dims", CASES, ids=[f"{n}-{d}d" for n, d in CASES])
# every network runs in the default suite once; the 3-window, 7-class variant is in the slow run
@pytest.mark.parametrize("in_channels, out_channels", [(1, 2), pytest.param(3, 7, marks=pytest.mark.slow)])
def test_forward_backward(name, dims, in_channels, out_channels):
    torch.manual_seed(0)
    spatial = _input_shape(name, dims)
    config = {"img_size": spatial} if name == "unetr" else {}
    if name in ("unetr",):
        config |= {"hidden_size": 96, "mlp_dim": 192, "num_heads": 4}  # small ViT keeps the test fast
    if name == "swin_unetr":
        config |= {"feature_size": 12, "depths": (1, 1, 1, 1)}
    net = build_model(name, dims, in_channels, out_channels, **config)
    net.train()
    x = torch.randn(2, in_channels, *spatial)
    out = net(x)
    if MODELS.entry(name).metadata.get("deep_supervision"):
        assert out.ndim == x.ndim + 1 and out.shape[1] >= 2, out.shape  # (B, heads, C, *spatial)
        assert out.shape[2:] == (out_channels, *spatial)
        main = out[:, 0]
    else:
        assert out.shape == (2, out_channels, *spatial)
        main = out
    main.float().mean().backward()
    for parameter_name, parameter in net.named_parameters():
        if parameter.requires_grad and not any(tag in parameter_name for tag in UNUSED_BY_DESIGN):
            assert parameter.grad is not None, f"{parameter_name} got no gradient"
            assert torch.isfinite(parameter.grad).all(), f"{parameter_name} has a non-finite gradient"
    net.eval()
    with torch.no_grad():
        assert net(x).shape == (2, out_channels, *spatial)


def test_unknown_model_and_dims():
    with pytest.raises(KeyError, match="unknown model 'nope'"):
        build_model("nope", 3, 1, 2)
    with pytest.raises(ValueError, match="supports spatial dims"):
        build_model("unet2d", 3, 1, 2)


def test_smp_never_downloads():
    with pytest.raises(ValueError, match="encoder_weights=None"):
        build_model("unet2d", 2, 1, 2, encoder_weights="imagenet")


@pytest.mark.parametrize("name, paper_millions", [("viola_unet_s", 12.77), ("viola_unet_l", 22.12), ("nnunet_r", 22.01)])
def test_paper_parameter_counts(name, paper_millions):
    count = count_parameters(build_model(name, 3, 3, 2)) / 1e6
    assert count == pytest.approx(paper_millions, rel=0.05)


def test_an_smp_network_without_its_optional_dependency_is_one_clear_line(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "segmentation_models_pytorch", None)  # as if not installed
    with pytest.raises(ValueError, match=r"pip install 'ichseg\[smp\]'"):
        build_model("unet2d", 2, 1, 7)
