"""viola-UNet (Liu et al., "Voxels Intersecting along Orthogonal Levels Attention U-Net",
INSTANCE 2022 / ISBI 2023), written from the paper.

The network is an nnU-Net-style dynamic U-Net (MONAI's ``DynUNet`` blocks: per-level
kernels and strides, residual encoder blocks, transposed-convolution upsampling, deep
supervision) whose decoder may have its own filter numbers (``decoder_filters``; the
paper's decoder is narrower than its encoder, but its numbers could not be retrieved, so
every registered configuration uses the encoder's filters, a symmetric decoder), and the
**viola attention** module applied to every decoder level's concatenation of upsampled
features and skip connection, optionally after an Attention-U-Net gate on the skip.

Viola attention on a feature map X (C x H x W x D):

1. average-pool X to three axis profiles (C x H, C x W, C x D);
2. pass each profile through a dense dilated convolution merging (DDCM) block that mixes
   neighbouring *channels* (1-D convolutions along C, kernel k = 2·(C // 32) + 3,
   dilations [1, k, 2(k-1)+1, 3(k-1)+1], densely concatenated, merged by a 1x1
   convolution) giving V_h, V_w, V_d;
3. eqs. 1-2: X̃ = (sigmoid(V) + tanh(GN₂(V))) / 2 per axis;
4. eq. 3: A_tt = X̃h⊗X̃w + X̃w⊗X̃d + X̃d⊗X̃h + X̃h⊗X̃w⊗X̃d; eq. 4: Â_tt = ReLU(X̃h + X̃w + X̃d);
5. eq. 5: A = 0.1·(A_tt + Â_tt) + 0.3, then A = A + L2Norm(A);
6. eq. 6: output X ⊙ A.

Choices where the paper is not explicit (each marked ``Choice:`` below) follow the
simplest reading that satisfies the equations.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from monai.networks.blocks.dynunet_block import UnetBasicBlock, UnetOutBlock, get_conv_layer
from monai.networks.nets import DynUNet
from monai.networks.nets.attentionunet import AttentionBlock
from torch import nn


def ddcm_kernel_size(channels: int) -> int:
    """k = 2·(C // 32) + 3 (odd, grows with the channel count)."""
    return 2 * (channels // 32) + 3


def ddcm_dilations(kernel: int) -> list[int]:
    """[1, k, 2(k-1)+1, 3(k-1)+1]: each layer's reach starts where the previous ended."""
    return [1, kernel, 2 * (kernel - 1) + 1, 3 * (kernel - 1) + 1]


class DenseDilatedChannelMerging(nn.Module):
    """DDCM over the channel axis of an axis profile ``(B, C, L)`` -> ``(B, C, L)``.

    Each layer sees the input and all previous layers' outputs (dense connectivity) and
    convolves along C with a dilated kernel; a 1x1 convolution merges everything back to
    one map. Choice: ``growth`` feature maps per layer (2 by default) and SiLU before the
    merge, which keep the module at a few hundred parameters as the paper reports it light.
    """

    def __init__(self, channels: int, *, growth: int = 2, dropout: float = 0.0) -> None:
        super().__init__()
        self.kernel = ddcm_kernel_size(channels)
        self.dilations = ddcm_dilations(self.kernel)
        self.layers = nn.ModuleList()
        for index, dilation in enumerate(self.dilations):
            self.layers.append(
                nn.Sequential(
                    nn.Conv2d(1 + index * growth, growth, kernel_size=(self.kernel, 1), dilation=(dilation, 1),
                              padding=(dilation * (self.kernel - 1) // 2, 0), bias=False),
                    nn.Dropout(dropout),
                )
            )
        self.merge = nn.Sequential(nn.SiLU(), nn.Conv2d(1 + len(self.dilations) * growth, 1, kernel_size=1, bias=False))

    def forward(self, profile: torch.Tensor) -> torch.Tensor:
        features = profile.unsqueeze(1)  # (B, 1, C, L): channels become a spatial axis
        for layer in self.layers:
            features = torch.cat([features, layer(features)], dim=1)
        return self.merge(features).squeeze(1)


class ViolaAttention(nn.Module):
    """The viola attention module (eqs. 1-6 of the paper) for 3D feature maps.

    Example:
        >>> attention = ViolaAttention(channels=16)
        >>> attention(torch.randn(2, 16, 8, 6, 4)).shape
        torch.Size([2, 16, 8, 6, 4])
    """

    def __init__(self, channels: int, *, growth: int = 2, dropout: float = 0.0) -> None:
        super().__init__()
        self.ddcm = nn.ModuleList(
            [DenseDilatedChannelMerging(channels, growth=growth, dropout=dropout) for _ in range(3)]
        )
        # Choice: one GroupNorm over the three profiles side by side, so that all axes
        # are normalised with the same statistics before tanh.
        self.group_norm = nn.GroupNorm(2, channels)

    def attention_map(self, v_h: torch.Tensor, v_w: torch.Tensor, v_d: torch.Tensor) -> torch.Tensor:
        """Eqs. 1-5 from the DDCM outputs ``(B, C, H)``, ``(B, C, W)``, ``(B, C, D)``."""
        h, w = v_h.shape[-1], v_w.shape[-1]
        normalised = torch.tanh(self.group_norm(torch.cat([v_h, v_w, v_d], dim=-1)))
        x_h = 0.5 * (torch.sigmoid(v_h) + normalised[..., :h])  # eqs. 1-2
        x_w = 0.5 * (torch.sigmoid(v_w) + normalised[..., h : h + w])
        x_d = 0.5 * (torch.sigmoid(v_d) + normalised[..., h + w :])
        x_h, x_w, x_d = x_h[..., :, None, None], x_w[..., None, :, None], x_d[..., None, None, :]
        a_tt = x_h * x_w + x_w * x_d + x_d * x_h + x_h * x_w * x_d  # eq. 3
        a_hat = F.relu(x_h + x_w + x_d)  # eq. 4
        attention = 0.1 * (a_tt + a_hat) + 0.3  # eq. 5
        flat = attention.flatten(1)
        return attention + F.normalize(flat, dim=1).view_as(attention)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 5:
            raise ValueError(f"viola attention works on 3D feature maps (B, C, H, W, D), got shape {tuple(x.shape)}")
        v_h = self.ddcm[0](x.mean(dim=(3, 4)))
        v_w = self.ddcm[1](x.mean(dim=(2, 4)))
        v_d = self.ddcm[2](x.mean(dim=(2, 3)))
        return x * self.attention_map(v_h, v_w, v_d)  # eq. 6


class ViolaUpBlock(nn.Module):
    """Decoder level: transposed conv -> [gate skip] -> concat -> viola attention -> conv block."""

    def __init__(
        self, spatial_dims: int, in_channels: int, out_channels: int, skip_channels: int, kernel_size, stride,
        upsample_kernel_size, norm_name, act_name, dropout=None, trans_bias: bool = False, viola: bool = True,
        gated: bool = False,
    ) -> None:
        super().__init__()
        self.transp_conv = get_conv_layer(
            spatial_dims, in_channels, out_channels, kernel_size=upsample_kernel_size, stride=upsample_kernel_size,
            dropout=dropout, bias=trans_bias, conv_only=True, is_transposed=True,
        )
        self.gate = (
            AttentionBlock(spatial_dims, f_int=max(out_channels // 2, 1), f_g=out_channels, f_l=skip_channels)
            if gated else None
        )
        self.attention = ViolaAttention(out_channels + skip_channels) if viola and spatial_dims == 3 else None
        self.conv_block = UnetBasicBlock(
            spatial_dims, out_channels + skip_channels, out_channels, kernel_size=kernel_size, stride=1,
            dropout=dropout, norm_name=norm_name, act_name=act_name,
        )

    def forward(self, inp: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        up = self.transp_conv(inp)
        if self.gate is not None:
            skip = self.gate(g=up, x=skip)
        out = torch.cat((skip, up), dim=1)
        if self.attention is not None:
            out = self.attention(out)
        return self.conv_block(out)


class ViolaUNet(DynUNet):
    """viola-UNet: MONAI's DynUNet topology with a viola-attention decoder (symmetric unless
    ``decoder_filters`` is given).

    Args (beyond :class:`monai.networks.nets.DynUNet`'s):
        decoder_filters: output channels of each decoder level, top to bottom (one fewer
            than ``filters``); default: the encoder's.
        viola: use viola attention in the decoder.
        gated: gate skip connections with Attention-U-Net gates.
        sum_deep_supervision: at inference, add the deep-supervision heads' softmax maps
            (weights 1/2, 1/4, ...) to the main output's softmax.

    Example:
        >>> net = ViolaUNet(3, 1, 2, kernel_size=[[3, 3, 1], [3, 3, 3], [3, 3, 3]],
        ...                 strides=[[1, 1, 1], [2, 2, 1], [2, 2, 2]],
        ...                 upsample_kernel_size=[[2, 2, 1], [2, 2, 2]], filters=(8, 16, 32), decoder_filters=(8, 8))
        >>> net(torch.randn(1, 1, 16, 16, 8)).shape
        torch.Size([1, 2, 16, 16, 8])
    """

    def __init__(
        self, spatial_dims: int, in_channels: int, out_channels: int, kernel_size: Sequence, strides: Sequence,
        upsample_kernel_size: Sequence, filters: Sequence[int], decoder_filters: Sequence[int] | None = None,
        *, viola: bool = True, gated: bool = False, sum_deep_supervision: bool = False, **dynunet_options,
    ) -> None:
        decoder = list(decoder_filters) if decoder_filters is not None else list(filters[:-1])
        if len(decoder) != len(filters) - 1:
            raise ValueError(f"decoder_filters needs {len(filters) - 1} values, got {len(decoder)}")
        # Read by the get_* overrides, which DynUNet.__init__ calls.
        self._decoder_filters, self._viola, self._gated = decoder, viola, gated
        super().__init__(spatial_dims, in_channels, out_channels, kernel_size, strides, upsample_kernel_size,
                         filters=filters, **dynunet_options)
        self.sum_deep_supervision = sum_deep_supervision

    def get_upsamples(self):
        inputs = [self.filters[-1], *self._decoder_filters[::-1][:-1]]
        outputs = self._decoder_filters[::-1]
        skips = list(self.filters[:-1])[::-1]
        strides, kernels = self.strides[1:][::-1], self.kernel_size[1:][::-1]
        up_kernels = self.upsample_kernel_size[::-1]
        return nn.ModuleList(
            ViolaUpBlock(self.spatial_dims, i, o, s, k, st, u, self.norm_name, self.act_name, self.dropout,
                         self.trans_bias, self._viola, self._gated)
            for i, o, s, k, st, u in zip(inputs, outputs, skips, kernels, strides, up_kernels)
        )

    def get_output_block(self, idx: int):
        return UnetOutBlock(self.spatial_dims, self._decoder_filters[idx], self.out_channels, dropout=self.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = super().forward(x)
        if not self.training and self.deep_supervision and self.sum_deep_supervision:
            probabilities = torch.softmax(out, dim=1)
            for index, head in enumerate(self.heads):
                resized = F.interpolate(head, out.shape[2:])
                probabilities = probabilities + 0.5 ** (index + 1) * torch.softmax(resized, dim=1)
            return probabilities
        return out
