"""State model: the LE's last hidden state s_t at the prompt's final token, projected by W, plus (with
``le.history_pool``, the tiny base's default) U times the mean item vector of the prompt's history:

``S_t = W s_t + U · mean_{i in history} e(i)``,  ``L_sm = CE(softmax_j(<S_t, e(j)> / τ), a⁺_t)``

plus, with ``le.future_targets`` = H, ``future_weight`` times the mean cross-entropy of the session's later
actions a_{t+2..t+1+H} under the same softmax: more targets from the same small subset, for items that
come together in a session but not always in that order.

over every item token ``e(j)`` (a full softmax: cheap at <= ~20k items). The pooled term is a direct,
bag-of-items path from each history item to the state (U is diagonal and starts at a scaled identity:
"items like the ones seen"); the LE subset is small (~1-2k transitions) and a decoder trained on it learns
item-to-item relations much faster through this path than through attention alone (EXPERIMENTS.md).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class StateProjection(nn.Module):
    """W: hidden size d -> item-embedding width e, plus (``history_pool``) U = diag(u) times the mean item
    vector of the history.

    U is diagonal: e weights instead of e² give the pooled path less to overfit on the small user subset
    (a full U scored a little lower on val on both datasets, EXPERIMENTS.md)."""

    def __init__(self, hidden: int, item_dim: int, history_pool: bool = False) -> None:
        super().__init__()
        self.proj = nn.Linear(hidden, item_dim)
        # u starts at ones; ``match_scale`` rescales it before training.
        self.history = nn.Parameter(torch.ones(item_dim)) if history_pool else None

    @torch.no_grad()
    def match_scale(self, item_vectors: torch.Tensor, temperature: float) -> None:
        """u = α·1 with α = τ / mean ||e(j)||², so that <U e(h), e(a)> / τ starts at the scale of a cosine.

        The item rows' scale depends on the backbone (mean ||e||² ≈ 0.3 on the tiny base, ≈ 1.1 on SmolLM2
        after the item-token phase), so a fixed u would give the pooled term a different weight on each."""
        if self.history is not None:
            self.history.fill_(float(temperature / item_vectors.pow(2).sum(-1).mean().clamp(min=1e-8)))

    def forward(self, hidden: torch.Tensor, pooled: torch.Tensor | None = None) -> torch.Tensor:
        out = self.proj(hidden)  # [B, d] -> [B, e]
        if self.history is not None and pooled is not None:
            out = out + self.history * pooled
        return out


def item_scores(state: torch.Tensor, item_emb: torch.Tensor) -> torch.Tensor:
    """<S_t, e(j)> for every item: ``[B, e] x [n, e] -> [B, n]``."""
    return state @ item_emb.T


def future_loss(
    state: torch.Tensor, item_emb: torch.Tensor, future: torch.Tensor, temperature: float
) -> torch.Tensor:
    """Cross-entropy of the session's later items ``future [B, H]`` (``-1``: none) under the same softmax,
    averaged over the real ones (0 when there are none)."""
    logp = F.log_softmax(item_scores(state, item_emb) / temperature, dim=-1)  # [B, n]
    real = future >= 0
    if not bool(real.any()):
        return logp.sum() * 0.0
    return -logp.gather(1, future.clamp(min=0))[real].mean()


def state_loss(
    state: torch.Tensor, item_emb: torch.Tensor, positives: torch.Tensor, temperature: float
) -> torch.Tensor:
    """L_sm: cross-entropy of the next item under the tempered similarity softmax (mean over the batch)."""
    return F.cross_entropy(item_scores(state, item_emb) / temperature, positives)
