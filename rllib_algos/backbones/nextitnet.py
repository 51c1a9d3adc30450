"""NextItNet (Yuan et al., WSDM 2019, "A Simple Convolutional Generative Network for Next Item
Recommendation").

Settings (SQN defaults): residual blocks with dilations ``(1, 2, 1, 2, 1, 2)``; each block is
causal conv (kernel 3, dilation d) -> layer norm -> ReLU -> causal conv (dilation 2d) -> layer norm ->
ReLU, plus the block input; ``hidden`` channels throughout; the state is the output at the last real
position. No dropout, as in the SQN code.

Padding: input is left-padded, so the last real position is always ``L - 1``. Pad positions are zero
after the lookup and are zeroed again after every conv, so each causal conv sees exactly the zeros
its own left padding would supply: nothing a pad position computes (biases, layer norm) reaches a real
position.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from learec.rllib_algos.backbones.registry import BackboneConfig, SequenceEncoder, register


class CausalConv(nn.Module):
    """Conv1d over time whose output at t sees only t, t-d, ..., t-(k-1)d; ``[B, H, L] -> [B, H, L]``."""

    def __init__(self, channels: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.left = (kernel - 1) * dilation
        self.conv = nn.Conv1d(channels, channels, kernel_size=kernel, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.pad(x, (self.left, 0)))


class ResidualBlock(nn.Module):
    def __init__(self, channels: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.conv1 = CausalConv(channels, kernel, dilation)
        self.norm1 = nn.LayerNorm(channels)
        self.conv2 = CausalConv(channels, kernel, 2 * dilation)
        self.norm2 = nn.LayerNorm(channels)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """``x [B, L, H]`` (zero at pads), ``keep [B, L, 1]`` -> ``[B, L, H]`` (zero at pads)."""
        y = torch.relu(self.norm1(self.conv1(x.transpose(1, 2)).transpose(1, 2))) * keep
        y = torch.relu(self.norm2(self.conv2(y.transpose(1, 2)).transpose(1, 2))) * keep
        return x + y


@register("nextitnet")
class NextItNet(SequenceEncoder):
    def __init__(self, config: BackboneConfig, n_items: int, state_len: int) -> None:
        super().__init__(config, n_items, state_len)
        self.blocks = nn.ModuleList(
            ResidualBlock(config.hidden, config.nextitnet_kernel, d) for d in config.nextitnet_dilations
        )

    def encode(self, emb: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        keep = mask[..., None].to(emb.dtype)  # [B, L, 1]
        x = emb  # [B, L, H]
        for block in self.blocks:
            x = block(x, keep)
        return x[:, -1]  # [B, H]: the last real item (left padding)
