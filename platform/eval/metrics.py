"""Registry of ranking metrics: per-event values from 0-based full-sort ranks and a cut-off ``k``.

``protocol.py`` averages the per-event values separately over click and purchase events. Each metric
declares its direction so reports can mark the best model without if-chains.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

RankFn = Callable[[np.ndarray, int], np.ndarray]


class Metric(NamedTuple):
    name: str
    fn: RankFn  # (ranks [E] int, k) -> [E] float per event
    higher_is_better: bool


METRICS: dict[str, Metric] = {}


def metric(name: str, *, higher_is_better: bool = True) -> Callable[[RankFn], RankFn]:
    """Register ``fn(ranks, k) -> per-event values`` under ``name`` (keys read ``<name>@<k>/<event>``)."""

    def add(fn: RankFn) -> RankFn:
        if name in METRICS:
            raise KeyError(f"metric {name!r} registered twice")
        METRICS[name] = Metric(name, fn, higher_is_better)
        return fn

    return add


def get(name: str) -> Metric:
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; known: {', '.join(sorted(METRICS))}")
    return METRICS[name]


@metric("hr")
def hit_rate(ranks: np.ndarray, k: int) -> np.ndarray:
    """1 when the target is in the top ``k`` (0-based rank < k), else 0."""
    return (np.asarray(ranks) < k).astype(np.float64)


@metric("ndcg")
def ndcg(ranks: np.ndarray, k: int) -> np.ndarray:
    """``1 / log2(rank + 2)`` for a hit with 0-based rank (= ``1 / log2(rank + 1)`` 1-based), else 0.

    With one relevant item per event the ideal DCG is 1, so DCG is already normalised (SQN code, LEA.md §7).
    """
    ranks = np.asarray(ranks, dtype=np.float64)
    return np.where(ranks < k, 1.0 / np.log2(ranks + 2.0), 0.0)
