"""Fusing the LE state embedding into the recommender state (LEA state hook, ``notes/LEA.md`` §4).

The fused state feeds the Q head only; the served CE head never needs the language model.
"""

from __future__ import annotations

import torch
from torch import nn


class LEFusion(nn.Module):
    """``(z [B, H], le [B, D]) -> [B, H]``: the LE state is projected to ``H``, then concatenated or gated.

    ``concat``: ``Linear([z; P le]) -> H`` (linear, so the Q scale is not squashed).
    ``gate``: ``g = sigmoid(W [z; P le])``, ``g * z + (1 - g) * P le``.
    """

    def __init__(self, mode: str, hidden: int, le_state_dim: int) -> None:
        super().__init__()
        if mode not in ("concat", "gate"):
            raise ValueError(f"le_state fusion must be concat or gate, got {mode!r}")
        if le_state_dim < 1:
            raise ValueError(f"le_state_dim must be >= 1 for le_state={mode!r}, got {le_state_dim}")
        self.mode = mode
        self.project = nn.Linear(le_state_dim, hidden)
        self.mix = nn.Linear(2 * hidden, hidden)

    def forward(self, z: torch.Tensor, le_state: torch.Tensor) -> torch.Tensor:
        p = self.project(le_state.to(z.dtype))  # [B, H]
        both = torch.cat([z, p], dim=-1)  # [B, 2H]
        if self.mode == "concat":
            return self.mix(both)
        g = torch.sigmoid(self.mix(both))
        return g * z + (1.0 - g) * p
