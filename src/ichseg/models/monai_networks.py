"""MONAI networks, registered as they are (defaults from their papers/tutorials)."""

from __future__ import annotations

from monai.networks import nets
from torch import nn

from .registry import MODELS

ENCODER_CHANNELS = (16, 32, 64, 128, 256)


@MODELS.register("unet", description="MONAI UNet (Ronneberger/Çiçek U-Net, strided convs)", dims=(2, 3),
                 size_multiple={2: (16, 16), 3: (16, 16, 16)})
def build_unet(spatial_dims, in_channels, out_channels, *, channels=ENCODER_CHANNELS, strides=(2, 2, 2, 2), **config):
    return nets.UNet(spatial_dims, in_channels, out_channels, channels=channels, strides=strides, **config)


@MODELS.register("resunet", description="MONAI UNet with residual units (Kerfoot et al.), the ResUNet", dims=(2, 3),
                 size_multiple={2: (16, 16), 3: (16, 16, 16)})
def build_resunet(spatial_dims, in_channels, out_channels, *, channels=ENCODER_CHANNELS, strides=(2, 2, 2, 2),
                  num_res_units=2, **config):
    return nets.UNet(spatial_dims, in_channels, out_channels, channels=channels, strides=strides,
                     num_res_units=num_res_units, **config)


@MODELS.register("basic_unet", description="MONAI BasicUNet (two convs per level, max-pool)", dims=(2, 3),
                 size_multiple={2: (16, 16), 3: (16, 16, 16)})
def build_basic_unet(spatial_dims, in_channels, out_channels, **config):
    return nets.BasicUNet(spatial_dims=spatial_dims, in_channels=in_channels, out_channels=out_channels, **config)


class _ChannelAdapter(nn.Module):
    """1x1 convolution in front of a network that accepts only some input channel counts."""

    def __init__(self, spatial_dims: int, in_channels: int, out_channels: int, network: nn.Module) -> None:
        super().__init__()
        conv = nn.Conv3d if spatial_dims == 3 else nn.Conv2d
        self.adapter = conv(in_channels, out_channels, kernel_size=1)
        self.network = network

    def forward(self, x):
        return self.network(self.adapter(x))


@MODELS.register("vnet", description="MONAI VNet (Milletari et al.)", dims=(2, 3),
                 size_multiple={2: (16, 16), 3: (16, 16, 16)})
def build_vnet(spatial_dims, in_channels, out_channels, **config):
    # VNet's input block repeats the input to 16 channels, so it needs 16 % in_channels == 0;
    # other counts (3 HU windows) go through a learned 1x1 projection to one channel.
    if 16 % in_channels == 0:
        return nets.VNet(spatial_dims=spatial_dims, in_channels=in_channels, out_channels=out_channels, **config)
    network = nets.VNet(spatial_dims=spatial_dims, in_channels=1, out_channels=out_channels, **config)
    return _ChannelAdapter(spatial_dims, in_channels, 1, network)


@MODELS.register("segresnet", description="MONAI SegResNet (Myronenko, residual encoder)", dims=(2, 3),
                 size_multiple={2: (8, 8), 3: (8, 8, 8)})
def build_segresnet(spatial_dims, in_channels, out_channels, *, init_filters=16, **config):
    return nets.SegResNet(spatial_dims=spatial_dims, in_channels=in_channels, out_channels=out_channels,
                          init_filters=init_filters, **config)


@MODELS.register("attention_unet", description="MONAI AttentionUnet (Oktay et al., gated skips)", dims=(2, 3),
                 size_multiple={2: (16, 16), 3: (16, 16, 16)})
def build_attention_unet(spatial_dims, in_channels, out_channels, *, channels=ENCODER_CHANNELS, strides=(2, 2, 2, 2),
                         **config):
    return nets.AttentionUnet(spatial_dims, in_channels, out_channels, channels=channels, strides=strides, **config)


def _image_size(patch: list[int]) -> dict:
    """UNETR's position embeddings are made for one input size: the training patch."""
    return {"img_size": list(patch)}


@MODELS.register("unetr", description="MONAI UNETR (Hatamizadeh et al., ViT encoder); img_size = patch size",
                 dims=(2, 3), size_multiple={2: (16, 16), 3: (16, 16, 16)}, patch_options=_image_size)
def build_unetr(spatial_dims, in_channels, out_channels, *, img_size=None, **config):
    img_size = img_size or ((160, 160, 16) if spatial_dims == 3 else (256, 256))
    return nets.UNETR(in_channels, out_channels, img_size=img_size, spatial_dims=spatial_dims, **config)


@MODELS.register("swin_unetr", description="MONAI SwinUNETR (Hatamizadeh et al., Swin encoder)", dims=(2, 3),
                 size_multiple={2: (32, 32), 3: (32, 32, 32)})
def build_swin_unetr(spatial_dims, in_channels, out_channels, *, feature_size=48, **config):
    return nets.SwinUNETR(in_channels, out_channels, feature_size=feature_size, spatial_dims=spatial_dims, **config)
