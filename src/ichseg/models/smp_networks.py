"""2D networks from segmentation_models_pytorch with ResNet-34 encoders.

Weights are never downloaded: ``encoder_weights=None`` always (random initialisation).
"""

from __future__ import annotations

from .registry import MODELS

ENCODER = "resnet34"
SMP_MULTIPLE = {2: (32, 32)}


def _smp(architecture: str, in_channels, out_channels, config):
    try:
        import segmentation_models_pytorch as smp  # noqa: PLC0415  (slow import, only when an smp model is built)
    except ImportError as error:
        raise ValueError(f"the smp network {architecture} needs segmentation-models-pytorch, an optional "
                         f"dependency: pip install 'ichseg[smp]' ({error})") from None

    network_class = getattr(smp, architecture)
    config = dict(config)
    if config.pop("encoder_weights", None) is not None:
        raise ValueError("ichseg builds smp models with encoder_weights=None: nothing is downloaded")
    return network_class(encoder_name=config.pop("encoder_name", ENCODER), encoder_weights=None,
                        in_channels=in_channels, classes=out_channels, **config)


@MODELS.register("unet2d", description="smp U-Net, ResNet-34 encoder", dims=(2,), size_multiple=SMP_MULTIPLE)
def build_unet2d(spatial_dims, in_channels, out_channels, **config):
    return _smp("Unet", in_channels, out_channels, config)


@MODELS.register("unetplusplus", description="smp U-Net++ (nested skips), ResNet-34 encoder", dims=(2,),
                 size_multiple=SMP_MULTIPLE)
def build_unetplusplus(spatial_dims, in_channels, out_channels, **config):
    return _smp("UnetPlusPlus", in_channels, out_channels, config)


@MODELS.register("linknet", description="smp LinkNet, ResNet-34 encoder", dims=(2,), size_multiple=SMP_MULTIPLE)
def build_linknet(spatial_dims, in_channels, out_channels, **config):
    return _smp("Linknet", in_channels, out_channels, config)


@MODELS.register("deeplabv3plus", description="smp DeepLabV3+ (atrous pyramid), ResNet-34 encoder", dims=(2,),
                 size_multiple=SMP_MULTIPLE)
def build_deeplabv3plus(spatial_dims, in_channels, out_channels, **config):
    return _smp("DeepLabV3Plus", in_channels, out_channels, config)
