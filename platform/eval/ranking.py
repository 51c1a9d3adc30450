"""Rank of each target item under a full sort of all item scores (no sampled negatives).

Tie rule (pessimistic): the 0-based rank of the target is the number of items scoring strictly higher
**plus the number of other items with exactly the same score**, i.e. the target is placed after every item
it ties with. Why this rule:

* it is the worst position the target could take under any tie-break, so a reported HR/NDCG is a lower
  bound that a model cannot inflate by emitting equal scores. A constant (collapsed) scorer gets rank
  ``n_items - 1`` for every target, never a perfect HR; the optimistic "#strictly higher" rule would give
  it HR@1 = 1.0, and an index-order tie-break (``np.argsort`` in the SQN code) makes the result depend on
  item ids;
* trained neural scorers produce float scores with ties of probability ~0, so for them every rule agrees
  and the choice only matters for degenerate models and count-based baselines. The popularity baseline
  therefore breaks its own ties by item id (see ``baselines.py``), so it is scored as the list it serves.

Counting instead of sorting gives the same rank as the position in a full sort in O(N) per row.
"""

from __future__ import annotations

import numpy as np


def ranks_of_targets(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """0-based full-sort rank of ``targets[b]`` among ``scores[b]`` (ties count against the target).

    ``scores`` ``[B, N]`` float (``-inf`` allowed, e.g. for excluded items; NaN is an error),
    ``targets`` ``[B]`` int in ``[0, N)``. Returns ``[B]`` int64 in ``[0, N - 1]``.
    """
    scores = np.asarray(scores)
    targets = np.asarray(targets)
    if scores.ndim != 2:
        raise ValueError(f"scores must have shape [B, n_items], got {scores.shape}")
    batch, n_items = scores.shape
    if targets.shape != (batch,):
        raise ValueError(f"targets must have shape [{batch}], got {targets.shape}")
    if not np.issubdtype(targets.dtype, np.integer):
        raise ValueError(f"targets must be integer item ids, got dtype {targets.dtype}")
    if batch == 0:
        return np.zeros(0, dtype=np.int64)
    if targets.min() < 0 or targets.max() >= n_items:
        raise ValueError(
            f"targets must be item ids in [0, {n_items}), got range [{targets.min()}, {targets.max()}]"
        )
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN: the scorer is broken (NaN cannot be ranked)")
    target_scores = scores[np.arange(batch), targets][:, None]  # [B, 1]
    # ">=" counts the target itself once, so subtracting 1 leaves #higher + #tied others.
    return (scores >= target_scores).sum(axis=1, dtype=np.int64) - 1  # [B]
