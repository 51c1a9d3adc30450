"""State model: s_t is the LE's last hidden state at the prompt's final token, projected by W.

``L_sm = CE(softmax_j(<W s_t, e(j)> / τ), a⁺_t)`` over every item token ``e(j)`` (a full softmax: cheap
at <= ~20k items).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class StateProjection(nn.Module):
    """W: hidden size d -> item-embedding width e."""

    def __init__(self, hidden: int, item_dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(hidden, item_dim)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:  # [B, d] -> [B, e]
        return self.proj(hidden)


def item_scores(state: torch.Tensor, item_emb: torch.Tensor) -> torch.Tensor:
    """<W s_t, e(j)> for every item: ``[B, e] x [n, e] -> [B, n]``."""
    return state @ item_emb.T


def state_loss(
    state: torch.Tensor, item_emb: torch.Tensor, positives: torch.Tensor, temperature: float
) -> torch.Tensor:
    """L_sm: cross-entropy of the next item under the tempered similarity softmax (mean over the batch)."""
    return F.cross_entropy(item_scores(state, item_emb) / temperature, positives)
