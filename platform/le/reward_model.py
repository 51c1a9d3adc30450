"""Reward model: a score head f (Linear d -> 1) on the LE's hidden state at the appended action token.

``L_rm = -log σ(r(s, a⁺) - r(s, a⁻)) + c · mean((r⁺ + r⁻)²)`` (Bradley-Terry with TRL's centring term:
BT rewards drift in offset, and LE rewards feed Q-targets where offset matters).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class ScoreHead(nn.Module):
    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.score = nn.Linear(hidden, 1)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:  # [..., d] -> [...]
        return self.score(hidden).squeeze(-1)


def reward_loss(r_pos: torch.Tensor, r_neg: torch.Tensor, centering_coeff: float) -> dict[str, torch.Tensor]:
    """Named terms of L_rm for ``r_pos [B]`` and ``r_neg [B, N]``; ``total`` is what to minimise."""
    diff = r_pos[:, None] - r_neg  # [B, N]
    bt = -F.logsigmoid(diff).mean()
    centre = ((r_pos[:, None] + r_neg) ** 2).mean()
    return {
        "bt": bt,
        "centre": centre,
        "total": bt + centering_coeff * centre,
        "accuracy": (diff > 0).float().mean().detach(),
        "margin": diff.mean().detach(),
    }


def pairwise_accuracy(pos: np.ndarray, neg: np.ndarray) -> float:
    """Share of pairs where the positive scores higher; ties count one half (a constant scorer gets 0.5)."""
    pos, neg = np.asarray(pos, np.float64), np.asarray(neg, np.float64)
    if pos.size == 0:
        raise ValueError("pairwise accuracy needs at least one pair")
    return float(np.mean((pos > neg) + 0.5 * (pos == neg)))


def reward_stats(pos: np.ndarray, neg: np.ndarray) -> dict[str, float]:
    """Mean and std of raw rewards over held-out positives and negatives (the normalisation stats)."""
    allr = np.concatenate([np.asarray(pos, np.float64).ravel(), np.asarray(neg, np.float64).ravel()])
    std = float(allr.std())
    return {"mean": float(allr.mean()), "std": std if std > 1e-8 else 1.0}
