"""Reference scorers every results table carries (LEA.md §8): most popular, and uniform random.

Both ignore the state. They are plain :data:`~learec.platform.eval.protocol.ScoreFn` callables, so they
go through exactly the same protocol as trained models.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from learec.platform.data import schema
from learec.platform.eval.protocol import ScoreFn


def popularity_counts(train: pa.Table, n_items: int) -> np.ndarray:
    """``[n_items]`` int64 event counts per item from a training **events** table (``item_id``) or a
    **transitions** table (``action``: every event is one transition, so the counts are the same)."""
    for column in (schema.ITEM_ID, schema.ACTION):
        if train.schema.get_field_index(column) >= 0:
            items = np.asarray(train.column(column).to_numpy(zero_copy_only=False), dtype=np.int64)
            break
    else:
        raise ValueError(
            f"popularity needs an events table (column {schema.ITEM_ID!r}) or a transitions table "
            f"(column {schema.ACTION!r}); got columns {', '.join(train.column_names)}"
        )
    if items.size and (items.min() < 0 or items.max() >= n_items):
        raise ValueError(
            f"item ids must be dense in [0, {n_items}); got range [{items.min()}, {items.max()}]"
        )
    return np.bincount(items, minlength=n_items).astype(np.int64)


def popularity_scores(source: pa.Table | np.ndarray, n_items: int) -> np.ndarray:
    """``[n_items]`` float64 scores of the most-popular list: larger = more popular.

    ``source`` is a training events/transitions table, or precomputed ``[n_items]`` counts
    (``PreparedData.popularity()``). Ties in count are broken by the lower item id, the order the served
    most-popular list uses (stable sort), so the baseline is scored as the strict list it shows and the
    pessimistic tie rule of ``ranking.py`` does not punish it for equal counts. Scores are the ordinal
    position (``n_items`` for the most popular, 1 for the least), not the counts.
    """
    if isinstance(source, pa.Table):
        counts = popularity_counts(source, n_items)
    else:
        counts = np.asarray(source)
        if counts.shape != (n_items,):
            raise ValueError(
                f"popularity counts must have shape [{n_items}] (one per item), got {counts.shape}"
            )
        if not np.issubdtype(counts.dtype, np.number) or np.isnan(counts.astype(np.float64)).any():
            raise ValueError("popularity counts must be finite numbers")
    order = np.argsort(-counts.astype(np.float64), kind="stable")  # most popular first, ties by item id
    scores = np.empty(n_items, dtype=np.float64)
    scores[order] = np.arange(n_items, 0, -1, dtype=np.float64)
    return scores


def popularity_score_fn(popularity: np.ndarray) -> ScoreFn:
    """Most-popular baseline: the same scores for every state. ``popularity`` is ``[n_items]`` counts.

    Returns read-only ``[B, n_items]`` views (broadcast, no copy per batch).
    """
    popularity = np.asarray(popularity)
    if popularity.ndim != 1 or popularity.size == 0:
        raise ValueError(f"popularity must be a non-empty [n_items] array, got shape {popularity.shape}")
    scores = popularity_scores(popularity, popularity.size)  # [N]

    def score(state: np.ndarray, len_state: np.ndarray) -> np.ndarray:
        return np.broadcast_to(scores, (np.asarray(state).shape[0], scores.size))  # [B, N]

    return score


def random_score_fn(n_items: int, seed: int | np.random.Generator) -> ScoreFn:
    """Uniform random scores (expected HR@k = k / n_items): a floor any model must clear.

    Each call draws fresh scores from one generator, so results depend on the seed and the batch order.
    """
    if n_items < 1:
        raise ValueError(f"n_items must be >= 1, got {n_items}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    def score(state: np.ndarray, len_state: np.ndarray) -> np.ndarray:
        return rng.random((np.asarray(state).shape[0], n_items))  # [B, N]

    return score
