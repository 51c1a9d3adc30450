"""The offline evaluation protocol of the SQN papers (LEA.md §7), streamed in batches.

Every row of a transitions table is one target event: the state is the previous <= L items (left-padded
with ``pad_id = n_items``), the target is ``action``, and ``is_buy`` says whether the event was a purchase.
Each target is ranked against **all** items (full ranking, no sampled negatives); HR@k and NDCG@k are
averaged separately over click events and purchase events, because purchases are rarer and what the
RL reward favours.

History is **not** excluded by default: the SQN code ranks every item, including items already in the
state, and published numbers (LEA.md §8) depend on that; sessions repeat items often, so excluding them
would change the task. ``exclude_history=True`` is offered for serving-like numbers; it can only remove the
items the state holds (the last L).

Results use stable keys ``<metric>@<k>/<click|purchase>`` plus ``n/click`` and ``n/purchase`` (event
counts). An event type with no events gets NaN metrics (logged), never a silent 0.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from learec.platform.common.fields import opt
from learec.platform.data import schema
from learec.platform.eval import metrics as metric_registry
from learec.platform.eval.ranking import ranks_of_targets

log = logging.getLogger(__name__)

# (state [B, L] int64 left-padded with n_items, len_state [B] int) -> scores [B, n_items] float
ScoreFn = Callable[[np.ndarray, np.ndarray], np.ndarray]

EVENT_TYPES = (schema.CLICK, schema.PURCHASE)  # is_buy 0 -> click, 1 -> purchase


@dataclass(frozen=True)
class EvalConfig:
    """Full-ranking offline evaluation (SQN protocol)."""

    ks: tuple[int, ...] = opt((5, 10, 20), "cut-offs k for HR@k and NDCG@k")
    batch_size: int = opt(1024, "states scored per call; memory is about batch_size x n_items x 4 bytes")
    exclude_history: bool = opt(
        False, "rank items in the state last (the SQN protocol does not; published numbers include them)"
    )
    metrics: tuple[str, ...] = opt(("hr", "ndcg"), "registered metrics to report (see eval/metrics.py)")

    def __post_init__(self) -> None:
        if not self.ks:
            raise ValueError("eval.ks must list at least one cut-off")
        if any(k < 1 for k in self.ks):
            raise ValueError(f"eval.ks must be >= 1, got {list(self.ks)}")
        if len(set(self.ks)) != len(self.ks):
            raise ValueError(f"eval.ks must not repeat a cut-off, got {list(self.ks)}")
        if self.batch_size < 1:
            raise ValueError(f"eval.batch_size must be >= 1, got {self.batch_size}")
        if not self.metrics:
            raise ValueError("eval.metrics must list at least one metric")
        for name in self.metrics:
            if name not in metric_registry.METRICS:
                known = ", ".join(sorted(metric_registry.METRICS))
                raise ValueError(f"eval.metrics: unknown metric {name!r}; known: {known}")


def metric_key(name: str, k: int, event: str) -> str:
    """The stable result key, e.g. ``ndcg@10/purchase``."""
    return f"{name}@{k}/{event}"


def count_key(event: str) -> str:
    return f"n/{event}"


def parse_metric_key(key: str) -> tuple[str, int, str] | None:
    """``"ndcg@10/purchase"`` -> ``("ndcg", 10, "purchase")``; None for other keys (``n/click``)."""
    head, sep, event = key.partition("/")
    name, at, k = head.partition("@")
    if not sep or not at or not k.isdigit() or event not in EVENT_TYPES:
        return None
    return name, int(k), event


def _fixed_lists(column: pa.ChunkedArray | pa.Array, name: str) -> np.ndarray:
    """A list column with equal-length rows -> ``[rows, L]`` int64."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    rows = len(arr)
    if pa.types.is_fixed_size_list(arr.type):
        width = arr.type.list_size
    elif pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
        lengths = np.asarray(arr.value_lengths().fill_null(-1))
        width = int(lengths[0]) if rows else 0
        if rows and (lengths != width).any():
            raise ValueError(
                f"transitions column {name!r} must hold lists of one length (the state length L)"
            )
    else:
        raise ValueError(f"transitions column {name!r} must be a list column, got {arr.type}")
    if arr.null_count:
        raise ValueError(f"transitions column {name!r} has null rows")
    flat = np.asarray(arr.flatten(), dtype=np.int64)
    return flat.reshape(rows, width)


def _check_transitions(transitions: pa.Table) -> None:
    for name in (schema.STATE, schema.LEN_STATE, schema.ACTION, schema.IS_BUY):
        if transitions.schema.get_field_index(name) < 0:
            raise ValueError(
                f"transitions table has no column {name!r} (have: {', '.join(transitions.column_names)}); "
                "pass a transitions table (schema.transitions_schema), not events"
            )


def rank_transitions(
    score_fn: ScoreFn, transitions: pa.Table, n_items: int, config: EvalConfig = EvalConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """Score rows in batches of ``config.batch_size``; return ``(ranks [rows] int64, is_buy [rows] bool)``.

    Only one ``[batch, n_items]`` score block exists at a time; ranks are kept per event, so metrics are
    computed once at the end and do not depend on the batch size.
    """
    if n_items < 1:
        raise ValueError(f"n_items must be >= 1, got {n_items}")
    _check_transitions(transitions)
    rows = transitions.num_rows
    ranks = np.empty(rows, dtype=np.int64)
    is_buy = np.asarray(transitions.column(schema.IS_BUY).to_numpy(zero_copy_only=False)) != 0  # [rows]
    for start in range(0, rows, config.batch_size):
        part = transitions.slice(start, config.batch_size)
        state = _fixed_lists(part.column(schema.STATE), schema.STATE)  # [B, L]
        len_state = np.asarray(part.column(schema.LEN_STATE).to_numpy(zero_copy_only=False), dtype=np.int64)
        targets = np.asarray(part.column(schema.ACTION).to_numpy(zero_copy_only=False), dtype=np.int64)
        if state.size and (state.min() < 0 or state.max() > n_items):
            raise ValueError(
                f"transitions column {schema.STATE!r} holds ids outside [0, {n_items}] (pad = n_items)"
            )
        scores = np.asarray(score_fn(state, len_state))  # [B, N]
        if scores.shape != (part.num_rows, n_items):
            raise ValueError(
                f"score_fn returned shape {scores.shape}, expected [{part.num_rows}, {n_items}] "
                "(batch, n_items)"
            )
        if config.exclude_history:
            scores = _without_history(scores, state, n_items)
        ranks[start : start + part.num_rows] = ranks_of_targets(scores, targets)
    return ranks, is_buy


def _without_history(scores: np.ndarray, state: np.ndarray, n_items: int) -> np.ndarray:
    """Copy of ``scores`` with the items of each state set to -inf (padding ignored)."""
    out = np.array(scores, dtype=np.result_type(scores.dtype, np.float32), copy=True)
    rows, cols = np.nonzero(state != n_items)
    out[rows, state[rows, cols]] = -np.inf
    return out


def metrics_from_ranks(
    ranks: np.ndarray, is_buy: np.ndarray, config: EvalConfig = EvalConfig()
) -> dict[str, float]:
    """Average each configured metric at each k over click events and over purchase events."""
    ranks, is_buy = np.asarray(ranks), np.asarray(is_buy, dtype=bool)
    if ranks.shape != is_buy.shape:
        raise ValueError(f"ranks {ranks.shape} and is_buy {is_buy.shape} must have the same shape")
    out: dict[str, float] = {}
    for event, mask in ((schema.CLICK, ~is_buy), (schema.PURCHASE, is_buy)):
        n = int(mask.sum())
        out[count_key(event)] = float(n)
        if n == 0:
            log.warning("no %s events to evaluate: %s metrics are NaN", event, event)
        for name in config.metrics:
            fn = metric_registry.get(name).fn
            for k in config.ks:
                out[metric_key(name, k, event)] = float(fn(ranks[mask], k).mean()) if n else math.nan
    return out


def evaluate(
    score_fn: ScoreFn, transitions: pa.Table, n_items: int, config: EvalConfig = EvalConfig()
) -> dict[str, float]:
    """Full-ranking metrics of ``score_fn`` on ``transitions`` (one target per row), per event type.

    Returns ``{"hr@10/click": ..., "ndcg@10/purchase": ..., "n/click": ..., "n/purchase": ...}``.
    """
    ranks, is_buy = rank_transitions(score_fn, transitions, n_items, config)
    return metrics_from_ranks(ranks, is_buy, config)


def aggregate_seeds(runs: Sequence[Mapping[str, float]]) -> dict[str, tuple[float, float]]:
    """``{key: (mean, std)}`` over runs (one per seed) that share the same keys.

    std is the sample standard deviation (ddof=1), the seed-to-seed spread papers report as "± std";
    with a single run it is NaN (unknown), not 0, and :func:`format_mean_std` then prints the mean alone.
    """
    if not runs:
        raise ValueError("aggregate_seeds needs at least one run")
    keys = list(runs[0])
    for i, run in enumerate(runs[1:], 1):
        if set(run) != set(keys):
            diff = sorted(set(run) ^ set(keys))
            raise ValueError(f"run {i} has other metric keys than run 0 (differ: {', '.join(diff)})")
    out: dict[str, tuple[float, float]] = {}
    for key in keys:
        values = np.array([float(run[key]) for run in runs], dtype=np.float64)
        std = float(values.std(ddof=1)) if len(values) > 1 else math.nan
        out[key] = (float(values.mean()), std)
    return out


def format_mean_std(mean: float, std: float, digits: int = 4) -> str:
    """``"0.1234 ± 0.0056"``; the mean alone when std is unknown (one seed); ``"–"`` for NaN means."""
    if math.isnan(mean):
        return "–"
    if math.isnan(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"
