"""Held-out quality of an LE: pairwise accuracy vs popularity and co-occurrence scorers on the same pairs,
and, on the synthetic shop, agreement with the true utility.

Metric keys (all higher is better): ``le/pair_acc``; the baselines twice, fitted on every training
transition (``pop/pair_acc``, ``cooc/pair_acc``: more data than the LE saw) and on the LE's own user subset
only (``pop_subset/pair_acc``, ``cooc_subset/pair_acc``: equal information, minus the item text). With a
shop: ``le/spearman_utility`` (LE reward vs true utility over sampled items, averaged over states),
``le/pos_precision@k`` (positive actions vs the true top-k by utility), and ``pop/precision@k``,
``pop/spearman_utility`` for reference. The shop's truth is computed from the session's user and its real
click history (raw events before the action, purchases not counted twice), not from the truncated state.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from learec.platform.data import schema
from learec.platform.le.checkpoint import read_user_sessions, update_metrics
from learec.platform.le.environment import LanguageEnvironment
from learec.platform.le.pairs import InteractionIndex, TransitionArrays, transition_arrays
from learec.platform.le.reward_model import pairwise_accuracy

log = logging.getLogger(__name__)


class CoOccurrence:
    """Counts of (history item h, next item a) over training transitions; score(s, a) = Σ_h count[h, a]."""

    def __init__(self, data: TransitionArrays, n_items: int) -> None:
        self.n_items = int(n_items)
        real = data.states < self.n_items  # [R, L]
        rows, cols = np.nonzero(real)
        keys = data.states[rows, cols] * self.n_items + data.actions[rows]
        self.keys, self.counts = np.unique(keys, return_counts=True)

    def score(self, states: np.ndarray, lengths: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """``[B, m]`` scores of ``actions [B, m]`` for left-padded ``states [B, L]`` and ``lengths [B]``."""
        length = states.shape[1]
        real = np.arange(length)[None, :] >= (length - lengths)[:, None]  # [B, L]
        hist = np.where(real, states, -1)
        keys = hist[:, None, :] * self.n_items + actions[:, :, None]  # [B, m, L]
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        found = (self.keys[pos] == keys) & (hist[:, None, :] >= 0)
        return np.where(found, self.counts[pos], 0).sum(-1).astype(np.float64)


def evaluate_le(
    env: LanguageEnvironment,
    transitions: pa.Table,
    popularity: np.ndarray,
    train_transitions: pa.Table,
    shop: Any = None,
    k: int = 10,
    seed: int = 0,
    n_pairs: int = 1000,
    n_states: int = 200,
    n_items_sampled: int = 50,
    ckpt_dir: Path | None = None,
    shop_logs: Any = None,
    events: pa.Table | None = None,
) -> dict[str, float]:
    """Evaluate ``env`` on held-out ``transitions`` (sessions outside its user subset); write the metrics into
    the checkpoint manifest (``ckpt_dir``, default the loaded one) and return them.

    Pairs are (state, next item a⁺, a⁻ uniform over items the session never touched), scored by the LE
    reward, by popularity and by co-occurrence, each fitted on all of ``train_transitions`` and on the LE's
    user subset (read from the checkpoint). With ``shop`` (a ``SyntheticShop``), ``events`` (the prepared
    events of the same split, giving each transition's time) is required; users and click histories come
    from ``shop_logs`` (``shop.generate()`` when omitted: the logs the data were prepared from).
    """
    rng = np.random.default_rng(seed)
    popularity = np.asarray(popularity, dtype=np.float64)
    if popularity.shape != (env.n_items,):
        raise ValueError(f"popularity must have {env.n_items} entries (one per item), got {popularity.shape}")
    data = transition_arrays(transitions, "held-out transitions")
    index = InteractionIndex(data, env.n_items)
    rows = rng.choice(len(data), size=min(n_pairs, len(data)), replace=False)
    batch = data.take(rows)
    neg = index.negatives(rows, 1, rng)[:, 0]
    pair = np.stack([batch.actions, neg], 1)  # [P, 2]
    le = env.reward(batch.states, batch.lengths, pair)
    train = transition_arrays(train_transitions, "train transitions")
    subset = train.take(np.flatnonzero(np.isin(train.session_ids, read_user_sessions(env.ckpt_dir))))
    if len(subset) == 0:
        raise ValueError(
            "none of the LE's user-subset sessions is in train_transitions: pass the split it was trained on"
        )
    sub_pop = np.bincount(subset.actions, minlength=env.n_items).astype(np.float64)
    scorers = {
        "le": le,
        "pop": popularity[pair],
        "cooc": CoOccurrence(train, env.n_items).score(batch.states, batch.lengths, pair),
        "pop_subset": sub_pop[pair],
        "cooc_subset": CoOccurrence(subset, env.n_items).score(batch.states, batch.lengths, pair),
    }
    metrics = {f"{n}/pair_acc": pairwise_accuracy(v[:, 0], v[:, 1]) for n, v in scorers.items()}
    metrics["n_pairs"] = float(len(rows))
    metrics["subset_transitions"] = float(len(subset))
    if shop is not None:
        if events is None:
            raise ValueError("evaluate_le with a shop needs events: the prepared events of the same split")
        logs = shop_logs if shop_logs is not None else shop.generate()
        metrics.update(
            _shop_metrics(env, data, events, popularity, shop, logs, k, n_states, n_items_sampled, rng)
        )
    log.info("LE evaluation: %s", metrics)
    update_metrics(Path(ckpt_dir) if ckpt_dir is not None else env.ckpt_dir, metrics)
    return metrics


def _shop_metrics(
    env: LanguageEnvironment,
    data: TransitionArrays,
    events: pa.Table,
    popularity: np.ndarray,
    shop: Any,
    logs: Any,
    k: int,
    n_states: int,
    n_items_sampled: int,
    rng: np.random.Generator,
) -> dict[str, float]:
    sess = np.asarray(logs.sessions.column(schema.SESSION_ID).to_numpy(), dtype=np.int64)
    users = np.asarray(logs.sessions.column("user_id").to_numpy(), dtype=np.int64)
    known = np.isin(data.session_ids, sess)
    if not known.any():
        raise ValueError(
            "none of the held-out sessions is in the shop's sessions table: pass the shop the data came from"
        )
    rows = rng.choice(np.flatnonzero(known), size=min(n_states, int(known.sum())), replace=False)
    batch = data.take(rows)
    order = np.argsort(sess)
    user_ids = users[order][np.searchsorted(sess[order], batch.session_ids)]
    if batch.steps is None:
        raise ValueError(f"held-out transitions need the {schema.STEP!r} column to evaluate against a shop")
    action_ts = _action_ts(events, batch.session_ids, batch.steps)
    histories = _click_histories(logs.events, batch.session_ids, action_ts)  # raw ids, oldest first
    shop_index = np.asarray(shop.index_of(list(env.raw_ids)), dtype=np.int64)  # dense -> shop column
    utility = np.asarray(shop.true_utility(user_ids, histories), dtype=np.float64)[:, shop_index]  # [B, n]
    sampled = np.stack(
        [rng.choice(env.n_items, size=min(n_items_sampled, env.n_items), replace=False) for _ in rows]
    )
    rewards = env.reward(batch.states, batch.lengths, sampled)  # [B, m]
    true = np.take_along_axis(utility, sampled, 1)
    rho = np.nanmean([_spearman(rewards[i], true[i]) for i in range(len(rows))])
    rho_pop = np.nanmean([_spearman(popularity[sampled[i]], true[i]) for i in range(len(rows))])
    tail, _ = _histories(batch, env.n_items)
    seen = np.zeros_like(utility, dtype=bool)
    pos = {r: i for i, r in enumerate(env.raw_ids)}
    for b, hist in enumerate(histories):
        seen[b, [pos[r] for r in hist if r in pos]] = True
    r, c = np.nonzero(tail >= 0)
    seen[r, tail[r, c]] = True
    top_true = np.argsort(-np.where(seen, -np.inf, utility), axis=1, kind="stable")[:, :k]
    items, _ = env.positive_actions(batch.states, batch.lengths, k)
    top_pop = np.argsort(-np.where(seen, -np.inf, popularity[None, :]), axis=1, kind="stable")[:, :k]
    return {
        "le/spearman_utility": float(rho),
        "pop/spearman_utility": float(rho_pop),
        f"le/pos_precision@{k}": _precision(items, top_true),
        f"pop/precision@{k}": _precision(top_pop, top_true),
        "n_states": float(len(rows)),
    }


def _action_ts(events: pa.Table, session_ids: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """[B] time of each transition's action: the ``step``-th event of its session in the prepared events."""
    ev_sess = np.asarray(events.column(schema.SESSION_ID).to_numpy(), dtype=np.int64)
    ev_ts = np.asarray(events.column(schema.TS).to_numpy(), dtype=np.int64)
    order = np.lexsort((ev_ts, ev_sess))
    ev_sess, ev_ts = ev_sess[order], ev_ts[order]
    first = np.searchsorted(ev_sess, session_ids)
    idx = first + steps
    ok = (idx < len(ev_sess)) & (ev_sess[np.minimum(idx, len(ev_sess) - 1)] == session_ids)
    if not ok.all():
        raise ValueError("events do not match the transitions (a session has fewer events than its steps)")
    return ev_ts[idx]


def _click_histories(raw_events: pa.Table, session_ids: np.ndarray, before_ts: np.ndarray) -> list[list[str]]:
    """Raw ids of each session's clicks strictly before ``before_ts`` (what the simulated user viewed)."""
    sess = np.asarray(raw_events.column(schema.SESSION_ID).to_numpy(), dtype=np.int64)
    ts = np.asarray(raw_events.column(schema.TS).to_numpy(), dtype=np.int64)
    event = np.asarray(raw_events.column(schema.EVENT).to_numpy(zero_copy_only=False))
    click = event == schema.EVENT_TYPES[0]
    raw = raw_events.column(schema.RAW_ID).to_pylist()
    order = np.lexsort((ts, sess))
    sess, ts, click = sess[order], ts[order], click[order]
    lo, hi = np.searchsorted(sess, session_ids, "left"), np.searchsorted(sess, session_ids, "right")
    out = []
    for a, b, t in zip(lo.tolist(), hi.tolist(), before_ts.tolist(), strict=True):
        out.append([raw[order[j]] for j in range(a, b) if ts[j] < t and click[j]])
    return out


def _histories(batch: TransitionArrays, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    length = batch.states.shape[1]
    real = np.arange(length)[None, :] >= (length - batch.lengths)[:, None]
    return np.where(real & (batch.states < n_items), batch.states, -1), batch.lengths


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (ordinal ranks); NaN when either side is constant."""
    ra, rb = np.argsort(np.argsort(a)).astype(np.float64), np.argsort(np.argsort(b)).astype(np.float64)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def _precision(pred: np.ndarray, truth: np.ndarray) -> float:
    hits = [len(set(p.tolist()) & set(t.tolist())) for p, t in zip(pred, truth, strict=True)]
    return float(np.mean(hits) / pred.shape[1])
