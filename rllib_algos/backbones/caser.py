"""Caser (Tang & Wang, WSDM 2018, "Personalized Top-N Sequential Recommendation via Convolutional
Sequence Embedding"), without the user embedding, as in the SQN-family code.

Settings (SQN defaults): ``caser_filters = 16`` horizontal filters for each height in ``(2, 3, 4)``
(each spans the full embedding width, ReLU, max-pool over time), ``caser_vertical = 1`` vertical filter
(a learned weighted sum over the ``L`` positions, linear as in the paper), concatenated, dropout
``0.1``, then a linear layer to ``hidden``.

Padding: pad embeddings are zero, so the vertical filter only sums real items (its weights are indexed by
position from the end, since input is left-padded). A horizontal window that touches padding is set to
0 before the max-pool; ReLU outputs are >= 0, so the max over the windows inside the history is
unchanged, and a history shorter than the filter (no such window) gives 0 for that filter.
"""

from __future__ import annotations

import torch
from torch import nn

from learec.rllib_algos.backbones.registry import BackboneConfig, SequenceEncoder, register


@register("caser")
class Caser(SequenceEncoder):
    def __init__(self, config: BackboneConfig, n_items: int, state_len: int) -> None:
        super().__init__(config, n_items, state_len)
        hidden, filters = config.hidden, config.caser_filters
        self.heights = config.caser_heights
        # A Conv1d over time with the embedding as channels is Caser's [h, d] horizontal filter.
        self.horizontal = nn.ModuleList(nn.Conv1d(hidden, filters, kernel_size=h) for h in self.heights)
        self.vertical = (
            nn.Conv2d(1, config.caser_vertical, kernel_size=(state_len, 1)) if config.caser_vertical else None
        )
        features = filters * len(self.heights) + config.caser_vertical * hidden
        self.dropout = nn.Dropout(config.dropout)
        self.out = nn.Linear(features, hidden)

    def encode(self, emb: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        batch, length, _ = emb.shape
        channels = emb.transpose(1, 2)  # [B, H, L]
        pooled = []
        for height, conv in zip(self.heights, self.horizontal, strict=True):
            if height > length:  # no window fits: the filter never fires
                pooled.append(emb.new_zeros(batch, conv.out_channels))
                continue
            act = torch.relu(conv(channels))  # [B, F, L-h+1]; window t covers positions t..t+h-1
            # Real items are a suffix, so window t lies inside the history iff position t is real.
            inside = mask[:, : length - height + 1]  # [B, L-h+1]
            pooled.append(act.masked_fill(~inside[:, None, :], 0.0).amax(dim=2))  # [B, F]
        if self.vertical is not None:
            pooled.append(self.vertical(emb[:, None]).flatten(1))  # [B, V*H]
        return self.out(self.dropout(torch.cat(pooled, dim=1)))  # [B, H]
