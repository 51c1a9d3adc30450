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

Results use stable keys ``<metric>@<k>/<group>`` plus ``n/<group>`` (event counts). The groups are
``click`` and ``purchase`` (every event of that type) and ``new_click`` / ``new_purchase``: the events whose
target is **not in the state**. On logs where a purchase repeats the click before it (the shop, RetailRocket
add-to-cart), every purchase target is in the state, so the plain purchase metric mostly rewards repeating
the last click; the new-item groups show whether a policy finds items the user has not seen yet. A group
with no events gets NaN metrics (logged), never a silent 0.

Beyond accuracy, at the largest cut-off K: ``coverage@K`` is the share of the catalogue that appears in at
least one top-K list, and ``novelty@K`` the mean self-information ``-log2 p(i)`` of the recommended items,
with ``p`` the item's share of training interactions (needs ``item_popularity``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from learec.platform.common.fields import Checked, opt
from learec.platform.data import schema
from learec.platform.eval import metrics as metric_registry
from learec.platform.eval.ranking import ranks_of_targets

log = logging.getLogger(__name__)

# (state [B, L] int64 left-padded with n_items, len_state [B] int) -> scores [B, n_items] float
ScoreFn = Callable[[np.ndarray, np.ndarray], np.ndarray]

EVENT_TYPES = (schema.CLICK, schema.PURCHASE)  # is_buy 0 -> click, 1 -> purchase
NEW_PREFIX = "new_"  # groups of events whose target is not in the state: new_click, new_purchase
ALL_EVENTS = "all"  # clicks and purchases together: the "overall" figure of rating logs and leave-one-out
TARGET_GROUPS = (*EVENT_TYPES, ALL_EVENTS, *(NEW_PREFIX + e for e in EVENT_TYPES))
COVERAGE, NOVELTY = "coverage", "novelty"
_WARNED_EMPTY: set[str] = set()  # target groups already reported empty (see metrics_from_ranks)


@dataclass(frozen=True)
class EvalConfig(Checked):
    """Full-ranking offline evaluation (SQN protocol)."""

    ks: tuple[int, ...] = opt((5, 10, 20), "cut-offs k for HR@k and NDCG@k", ge=1, le=100_000)
    batch_size: int = opt(
        1024, "states scored per call; memory is about batch_size x n_items x 4 bytes", ge=1, le=1_000_000
    )
    exclude_history: bool = opt(
        False, "rank items in the state last (the SQN protocol does not; published numbers include them)"
    )
    metrics: tuple[str, ...] = opt(("hr", "ndcg"), "registered metrics to report (see eval/metrics.py)")

    def __post_init__(self) -> None:
        super().__post_init__()  # declared ranges (opt ge/le); rules across values below
        if not self.ks:
            raise ValueError("eval.ks must list at least one cut-off")
        if len(set(self.ks)) != len(self.ks):
            raise ValueError(f"eval.ks must not repeat a cut-off, got {list(self.ks)}")
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
    """``"ndcg@10/purchase"`` -> ``("ndcg", 10, "purchase")``; None for other keys (``n/click``,
    ``coverage@10``)."""
    head, sep, event = key.partition("/")
    name, at, k = head.partition("@")
    if not sep or not at or not k.isdigit() or event not in TARGET_GROUPS:
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


@dataclass(frozen=True)
class RankedTargets:
    """Per-event results of one scorer on one transitions table (what every metric is computed from)."""

    ranks: np.ndarray  # [E] int64, 0-based full-sort rank of the target
    is_buy: np.ndarray  # [E] bool
    is_new: np.ndarray  # [E] bool, the target is not among the state's items
    session_id: np.ndarray | None  # [E] int64 when the table has session ids (bootstrap over users)
    top_items: np.ndarray  # [E, K] int64, each row's top-K items (K = the largest cut-off), best first


def rank_targets(
    score_fn: ScoreFn, transitions: pa.Table, n_items: int, config: EvalConfig = EvalConfig()
) -> RankedTargets:
    """Score rows in batches of ``config.batch_size`` and keep what the metrics need per event.

    Only one ``[batch, n_items]`` score block exists at a time; ranks are kept per event, so metrics are
    computed once at the end and do not depend on the batch size.
    """
    if n_items < 1:
        raise ValueError(f"n_items must be >= 1, got {n_items}")
    _check_transitions(transitions)
    rows = transitions.num_rows
    top_k = min(max(config.ks), n_items)
    ranks = np.empty(rows, dtype=np.int64)
    is_new = np.empty(rows, dtype=bool)
    top_items = np.empty((rows, top_k), dtype=np.int64)
    is_buy = np.asarray(transitions.column(schema.IS_BUY).to_numpy(zero_copy_only=False)) != 0  # [rows]
    session_id = None
    if transitions.schema.get_field_index(schema.SESSION_ID) >= 0:
        session_id = np.asarray(transitions.column(schema.SESSION_ID).to_numpy(zero_copy_only=False))
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
        stop = start + part.num_rows
        ranks[start:stop] = ranks_of_targets(scores, targets)
        is_new[start:stop] = ~(state == targets[:, None]).any(axis=1)  # padding is n_items, never a target
        top_items[start:stop] = _top_items(scores, top_k)
    return RankedTargets(ranks, is_buy, is_new, session_id, top_items)


def rank_transitions(
    score_fn: ScoreFn, transitions: pa.Table, n_items: int, config: EvalConfig = EvalConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """``(ranks [rows] int64, is_buy [rows] bool)`` of :func:`rank_targets`."""
    ranked = rank_targets(score_fn, transitions, n_items, config)
    return ranked.ranks, ranked.is_buy


def _top_items(scores: np.ndarray, k: int) -> np.ndarray:
    """``[B, k]`` the k best items per row, best first (ties broken by item id, as a served list is)."""
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.lexsort((part, -np.take_along_axis(scores, part, axis=1)), axis=1)
    return np.take_along_axis(part, order, axis=1)


def _without_history(scores: np.ndarray, state: np.ndarray, n_items: int) -> np.ndarray:
    """Copy of ``scores`` with the items of each state set to -inf (padding ignored)."""
    out = np.array(scores, dtype=np.result_type(scores.dtype, np.float32), copy=True)
    rows, cols = np.nonzero(state != n_items)
    out[rows, state[rows, cols]] = -np.inf
    return out


def metrics_from_ranks(
    ranks: np.ndarray,
    is_buy: np.ndarray,
    config: EvalConfig = EvalConfig(),
    is_new: np.ndarray | None = None,
) -> dict[str, float]:
    """Average each configured metric at each k over click events, purchase events and all events
    together (and, with ``is_new``, over the new-item events of each type)."""
    ranks, is_buy = np.asarray(ranks), np.asarray(is_buy, dtype=bool)
    if ranks.shape != is_buy.shape:
        raise ValueError(f"ranks {ranks.shape} and is_buy {is_buy.shape} must have the same shape")
    groups = [(schema.CLICK, ~is_buy), (schema.PURCHASE, is_buy)]
    if is_new is not None:
        is_new = np.asarray(is_new, dtype=bool)
        if is_new.shape != ranks.shape:
            raise ValueError(f"is_new {is_new.shape} and ranks {ranks.shape} must have the same shape")
        groups += [(NEW_PREFIX + event, mask & is_new) for event, mask in groups]
    groups.append((ALL_EVENTS, np.ones_like(is_buy)))
    out: dict[str, float] = {}
    for group, mask in groups:
        n = int(mask.sum())
        out[count_key(group)] = float(n)
        if n == 0 and not group.startswith(NEW_PREFIX) and group not in _WARNED_EMPTY:
            # once per process: training validates every epoch, and new-item groups are empty by design
            _WARNED_EMPTY.add(group)
            log.warning("no %s events to evaluate: %s metrics are NaN", group, group)
        for name in config.metrics:
            fn = metric_registry.get(name).fn
            for k in config.ks:
                out[metric_key(name, k, group)] = float(fn(ranks[mask], k).mean()) if n else math.nan
    return out


def beyond_accuracy(
    top_items: np.ndarray, n_items: int, item_popularity: np.ndarray | None = None, k: int | None = None
) -> dict[str, float]:
    """``coverage@K`` and (given training counts per item) ``novelty@K`` of the top-K lists ``[E, K]``
    (``k`` names the cut-off in the keys; a catalogue smaller than it gives shorter lists)."""
    k = k or top_items.shape[1]
    if not top_items.size:
        return {f"{COVERAGE}@{k}": math.nan}
    out = {f"{COVERAGE}@{k}": float(len(np.unique(top_items)) / n_items)}
    if item_popularity is not None:
        counts = np.asarray(item_popularity, dtype=np.float64)
        if counts.shape != (n_items,):
            raise ValueError(f"item_popularity must have shape [{n_items}], got {counts.shape}")
        # Add-one smoothing: an item never interacted with in training has finite, maximal novelty.
        share = (counts + 1.0) / (counts.sum() + n_items)
        out[f"{NOVELTY}@{k}"] = float((-np.log2(share[top_items])).mean())
    return out


def evaluate_detailed(
    score_fn: ScoreFn,
    transitions: pa.Table,
    n_items: int,
    config: EvalConfig = EvalConfig(),
    item_popularity: np.ndarray | None = None,
) -> tuple[dict[str, float], RankedTargets]:
    """:func:`evaluate` plus the per-event results (for significance tests over users)."""
    ranked = rank_targets(score_fn, transitions, n_items, config)
    metrics = metrics_from_ranks(ranked.ranks, ranked.is_buy, config, is_new=ranked.is_new)
    metrics.update(beyond_accuracy(ranked.top_items, n_items, item_popularity, k=max(config.ks)))
    return metrics, ranked


def evaluate(
    score_fn: ScoreFn,
    transitions: pa.Table,
    n_items: int,
    config: EvalConfig = EvalConfig(),
    item_popularity: np.ndarray | None = None,
) -> dict[str, float]:
    """Full-ranking metrics of ``score_fn`` on ``transitions`` (one target per row), per target group.

    Returns ``{"hr@10/click": ..., "ndcg@10/new_purchase": ..., "n/click": ..., "coverage@20": ...}``;
    ``novelty@K`` only with ``item_popularity`` (training interactions per item).
    """
    return evaluate_detailed(score_fn, transitions, n_items, config, item_popularity)[0]


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
