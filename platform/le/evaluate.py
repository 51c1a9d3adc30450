"""Held-out quality of an LE: pairwise accuracy vs popularity and co-occurrence scorers on the same pairs,
and, on the synthetic shop, agreement with the true utility.

Metric keys (all higher is better): ``le/pair_acc``, ``pop/pair_acc``, ``cooc/pair_acc``; with a shop
``le/spearman_utility`` (LE reward vs true utility over sampled items, averaged over states),
``le/pos_precision@k`` (positive actions vs the true top-k by utility) and ``pop/precision@k``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from learec.platform.data import schema
from learec.platform.le.checkpoint import update_metrics
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
    shop_sessions: pa.Table | None = None,
) -> dict[str, float]:
    """Evaluate ``env`` on held-out ``transitions`` (sessions outside its user subset); write the metrics into
    the checkpoint manifest (``ckpt_dir``, default the loaded one) and return them.

    Pairs are (state, next item a⁺, a⁻ uniform over items the session never touched), scored by the LE
    reward, by ``popularity[a]`` and by train co-occurrence. With ``shop`` (a ``SyntheticShop``), user ids
    come from ``shop_sessions`` (session_id, user_id), or from ``shop.generate().sessions`` when omitted.
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
    pop = popularity[pair]
    cooc = CoOccurrence(transition_arrays(train_transitions, "train transitions"), env.n_items).score(
        batch.states, batch.lengths, pair
    )
    metrics: dict[str, float] = {
        "le/pair_acc": pairwise_accuracy(le[:, 0], le[:, 1]),
        "pop/pair_acc": pairwise_accuracy(pop[:, 0], pop[:, 1]),
        "cooc/pair_acc": pairwise_accuracy(cooc[:, 0], cooc[:, 1]),
        "n_pairs": float(len(rows)),
    }
    if shop is not None:
        sessions = shop_sessions if shop_sessions is not None else shop.generate().sessions
        metrics.update(
            _shop_metrics(env, data, popularity, shop, sessions, k, n_states, n_items_sampled, rng)
        )
    log.info("LE evaluation: %s", metrics)
    update_metrics(Path(ckpt_dir) if ckpt_dir is not None else env.ckpt_dir, metrics)
    return metrics


def _shop_metrics(
    env: LanguageEnvironment,
    data: TransitionArrays,
    popularity: np.ndarray,
    shop: Any,
    sessions: pa.Table,
    k: int,
    n_states: int,
    n_items_sampled: int,
    rng: np.random.Generator,
) -> dict[str, float]:
    sess = np.asarray(sessions.column(schema.SESSION_ID).to_numpy(), dtype=np.int64)
    users = np.asarray(sessions.column("user_id").to_numpy(), dtype=np.int64)
    order = np.argsort(sess)
    pos = np.searchsorted(sess[order], data.session_ids)
    pos = np.minimum(pos, len(sess) - 1)
    known = sess[order][pos] == data.session_ids
    if not known.any():
        raise ValueError(
            "none of the held-out sessions is in the shop's sessions table: pass the shop the data came from"
        )
    rows = rng.choice(np.flatnonzero(known), size=min(n_states, int(known.sum())), replace=False)
    batch = data.take(rows)
    user_ids = users[order][pos[rows]]
    raw = np.asarray(env.raw_ids, dtype=object)
    tail, _ = _histories(batch, env.n_items)
    histories = [[raw[i] for i in row if i >= 0] for row in tail]
    shop_index = np.asarray(shop.index_of(list(env.raw_ids)), dtype=np.int64)  # dense -> shop column
    utility = np.asarray(shop.true_utility(user_ids, histories), dtype=np.float64)[:, shop_index]  # [B, n]
    sampled = np.stack(
        [rng.choice(env.n_items, size=min(n_items_sampled, env.n_items), replace=False) for _ in rows]
    )
    rewards = env.reward(batch.states, batch.lengths, sampled)  # [B, m]
    true = np.take_along_axis(utility, sampled, 1)
    rho = np.nanmean([_spearman(rewards[i], true[i]) for i in range(len(rows))])
    seen = np.zeros_like(utility, dtype=bool)
    r, c = np.nonzero(tail >= 0)
    seen[r, tail[r, c]] = True
    top_true = np.argsort(-np.where(seen, -np.inf, utility), axis=1, kind="stable")[:, :k]
    items, _ = env.positive_actions(batch.states, batch.lengths, k)
    top_pop = np.argsort(-np.where(seen, -np.inf, popularity[None, :]), axis=1, kind="stable")[:, :k]
    return {
        "le/spearman_utility": float(rho),
        f"le/pos_precision@{k}": _precision(items, top_true),
        f"pop/precision@{k}": _precision(top_pop, top_true),
        "n_states": float(len(rows)),
    }


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
