"""Reward model: a score head f on the LE's hidden state at the appended action token.

``r(s, a) = w·h(prompt ⊕ <item_a>) + b + β·<S_t, e(a)>``: a linear head on the action token's hidden
state plus (``le.reward_state_term``) a learned multiple β of the state model's similarity, so that the
reward can reuse the item-token embeddings (learned from item text and the full-softmax L_sm).

``L_rm = -log σ(r(s, a⁺) - r(s, a⁻)) + c · mean((r⁺ + r⁻)²)`` (Bradley-Terry with TRL's centring term:
BT rewards drift in offset, and LE rewards feed Q-targets where offset matters).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class ScoreHead(nn.Module):
    """f(h) = w·h + b, plus ``sim_weight`` times the state-model similarity when the LE uses it.

    ``sim_weight`` (a learned scalar, initialised at 1/τ so that the reward starts as the state model's
    logit) lets the reward reuse what the item-token embeddings learned from text and the full-softmax
    L_sm; the linear part then learns what the similarity misses.
    """

    def __init__(self, hidden: int, sim_init: float = 0.0) -> None:
        super().__init__()
        self.score = nn.Linear(hidden, 1)
        self.sim_weight = nn.Parameter(torch.tensor(float(sim_init)))

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
