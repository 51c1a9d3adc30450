"""Positive actions: exclusion masks and the re-scoring selection (top-k by reward among candidates)."""

from __future__ import annotations

import numpy as np
import torch


def exclusion_mask(history: np.ndarray, exclude: np.ndarray | None, n_items: int) -> np.ndarray:
    """``[B, n_items]`` True for items never to propose: the history (``-1``: none) and ``exclude [B, m]``.

    Ids outside ``0..n_items-1`` in ``exclude`` (pads, ``-1``) are ignored.
    """
    b = history.shape[0]
    mask = np.zeros((b, n_items), dtype=bool)
    parts = [history] if exclude is None else [history, np.asarray(exclude, np.int64).reshape(b, -1)]
    for ids in parts:
        rows, cols = np.nonzero((ids >= 0) & (ids < n_items))
        mask[rows, ids[rows, cols]] = True
    return mask


def select_positive(
    candidates: torch.Tensor, rewards: torch.Tensor, k: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` candidates with the highest reward, best first: ``([B, k] items, [B, k] rewards)``.

    Ties keep the candidate order (the state-model ranking), so results are deterministic.
    """
    order = torch.sort(rewards, dim=1, descending=True, stable=True).indices[:, :k]  # [B, k]
    return candidates.gather(1, order), rewards.gather(1, order)
