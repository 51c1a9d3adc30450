"""Online evaluation: simulated users of the shop react to a policy's slates (what real logs cannot give).

Each simulated session starts from a user of the shop (drawn by activity) and a short organic history
(items found by the user's own search), so the policy has a state. Then, for up to ``max_steps`` steps,
the policy shows a top-k slate; the user clicks at most one slate item, choosing by
softmax(U / choice_temperature) against an outside option ``leave_utility`` that ends the session; a
clicked item is bought with the shop's purchase probability; the history grows and the taste drifts.

All live sessions are batched: one policy call per step. Randomness (users, histories, choice noise per
slate position, purchase draws) is drawn up front from ``seed``, so two policies evaluated with the same
seed face the same users and the same dice (common random numbers), which makes comparisons sharp.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from learec.platform.data import schema
from learec.platform.sim import users as behaviour_model
from learec.platform.sim.shop import SyntheticShop

log = logging.getLogger(__name__)

RecommendFn = Callable[[Sequence[Sequence[str]], int], list[list[str]]]
"""(histories of raw ids, oldest first; k) -> up to k raw ids per history, best first."""

_ONLINE = 3  # RNG stream tag


def evaluate_policy(
    policy: RecommendFn | Literal["oracle"],
    shop: SyntheticShop,
    n_sessions: int = 200,
    k: int = 10,
    max_steps: int = 10,
    seed: int = 0,
    history_len: int = 2,
) -> dict[str, float]:
    """Replay ``n_sessions`` simulated users against ``policy``'s top-k slates; ground-truth metrics.

    ``policy="oracle"`` shows the top-k items by true utility (it knows the user), the upper reference.
    A policy may return fewer than k ids, unknown ids or duplicates: unknown ids and repeats are dropped
    (counted in ``unknown_id_rate``), the slate is cut to k, and an empty slate means the user leaves.

    Returns (per step = per slate shown):
      ``purchase_rate`` purchases per step; ``expected_purchase_rate`` the same in expectation over the
      user's choice and purchase dice (lower variance); ``click_rate`` clicks per step;
      ``purchases_per_session``, ``clicks_per_session``, ``steps_per_session``;
      ``mean_slate_utility`` mean true utility of the valid slate items; ``mean_click_utility``;
      ``ndcg_true@k`` DCG of the slate with the items' purchase probabilities as gains, over the best
      possible slate's; ``unknown_id_rate``; and ``n_sessions``, ``k``.
    """
    for name, value, low in (
        ("n_sessions", n_sessions, 1),
        ("k", k, 1),
        ("max_steps", max_steps, 1),
        ("history_len", history_len, 0),
    ):
        if int(value) != value or value < low:
            raise ValueError(f"evaluate_policy: {name} must be an integer >= {low}, got {value!r}")
    if isinstance(policy, str) and policy != "oracle":
        raise ValueError(f"evaluate_policy: policy must be a callable or 'oracle', got {policy!r}")
    cat, users, beh = shop.catalogue, shop.users, shop.behaviour
    n_items = shop.n_items
    rng = np.random.default_rng([shop.config.seed, seed, _ONLINE])

    user_ids = rng.choice(users.n_users, size=n_sessions, p=users.activity).astype(np.int64)
    taste = users.taste[user_ids].copy()  # [S, d] session taste, drifts with every viewed item
    lam = users.price_sensitivity[user_ids]  # [S]
    hist = np.full((n_sessions, history_len + max_steps), -1, dtype=np.int64)
    for t in range(history_len):
        hist[:, t], _ = shop.sample_search(taste, lam, hist[:, :t], rng)
        taste = behaviour_model.drift_taste(taste, cat.vectors[hist[:, t]], beh)
    choice_noise = behaviour_model.gumbel(rng, (n_sessions, max_steps, k + 1))  # column k: leave
    purchase_dice = rng.random((n_sessions, max_steps))

    inv_temp = np.float32(1.0 / beh.choice_temperature)
    discount = 1.0 / np.log2(np.arange(2, k + 2))  # [k]
    keys = ("steps", "clicks", "purchases", "expected_purchases", "slate_utility", "slate_items")
    totals = dict.fromkeys((*keys, "click_utility", "ndcg", "returned", "unknown"), 0.0)
    alive = np.ones(n_sessions, dtype=bool)
    for step in range(max_steps):
        live = np.nonzero(alive)[0]
        if not len(live):
            break
        t = history_len + step  # every live session has clicked at every step so far
        util = _utility(shop, taste[live], lam[live], hist[live, :t])  # [B, N]
        if isinstance(policy, str):
            slate = np.argsort(-util, axis=1, kind="stable")[:, :k]
        else:
            histories = [[shop.raw_ids[i] for i in row] for row in hist[live, :t]]
            slate, returned, unknown = _read_slates(policy(histories, k), shop, len(live), k)
            totals["returned"] += returned
            totals["unknown"] += unknown
        valid = slate >= 0  # [B, k]
        slate_util = np.where(valid, np.take_along_axis(util, np.maximum(slate, 0), axis=1), -np.inf)
        buy_p = behaviour_model.purchase_probability(util, beh)  # [B, N]
        slate_buy = np.where(valid, np.take_along_axis(buy_p, np.maximum(slate, 0), axis=1), 0.0)

        scores = np.concatenate([slate_util, np.full((len(live), 1), shop.config.leave_utility)], axis=1)
        logits = scores * inv_temp  # [B, k + 1]
        choice = np.argmax(logits + choice_noise[live, step], axis=1)
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        clicked = choice < k
        rows = np.nonzero(clicked)[0]
        item = slate[rows, choice[rows]]
        bought = purchase_dice[live[rows], step] < slate_buy[rows, choice[rows]]

        top = min(k, n_items)
        ideal = -np.sort(-np.partition(buy_p, n_items - top, axis=1)[:, n_items - top :], axis=1)  # [B, top]
        idcg = (ideal * discount[: ideal.shape[1]]).sum(axis=1)
        dcg = (slate_buy * discount).sum(axis=1)
        totals["steps"] += len(live)
        totals["clicks"] += len(rows)
        totals["purchases"] += int(bought.sum())
        totals["expected_purchases"] += float((probs[:, :k] * slate_buy).sum())
        totals["slate_utility"] += float(np.where(valid, slate_util, 0.0).sum())
        totals["slate_items"] += int(valid.sum())
        totals["click_utility"] += float(slate_util[rows, choice[rows]].sum())
        totals["ndcg"] += float(np.divide(dcg, idcg, out=np.zeros_like(dcg), where=idcg > 0).sum())

        alive[live[~clicked]] = False
        hist[live[rows], t] = item
        taste[live[rows]] = behaviour_model.drift_taste(taste[live[rows]], cat.vectors[item], beh)

    steps = max(totals["steps"], 1.0)
    metrics = {
        "purchase_rate": totals["purchases"] / steps,
        "expected_purchase_rate": totals["expected_purchases"] / steps,
        "click_rate": totals["clicks"] / steps,
        "purchases_per_session": totals["purchases"] / n_sessions,
        "clicks_per_session": totals["clicks"] / n_sessions,
        "steps_per_session": totals["steps"] / n_sessions,
        "mean_slate_utility": totals["slate_utility"] / max(totals["slate_items"], 1.0),
        "mean_click_utility": totals["click_utility"] / max(totals["clicks"], 1.0),
        f"ndcg_true@{k}": totals["ndcg"] / steps,
        "unknown_id_rate": totals["unknown"] / max(totals["returned"], 1.0),
        "n_sessions": float(n_sessions),
        "k": float(k),
    }
    log.info("online evaluation: %s", {m: round(v, 4) for m, v in metrics.items()})
    return metrics


def evaluate_oracle(
    shop: SyntheticShop, n_sessions: int = 200, k: int = 10, max_steps: int = 10, seed: int = 0
) -> dict[str, float]:
    """``evaluate_policy`` with the oracle: top-k by true utility, the best a policy can do greedily."""
    return evaluate_policy("oracle", shop, n_sessions=n_sessions, k=k, max_steps=max_steps, seed=seed)


def _utility(shop: SyntheticShop, taste: np.ndarray, lam: np.ndarray, past: np.ndarray) -> np.ndarray:
    """[B, N] true utility for session tastes ``taste`` [B, d] after viewed items ``past`` [B, t]."""
    util = behaviour_model.base_utility(taste, lam, shop.catalogue)
    if past.shape[1]:
        rows = np.repeat(np.arange(len(past)), past.shape[1])
        util[rows, past.ravel()] -= np.float32(shop.behaviour.repeat_penalty)
    return util


def _read_slates(slates: object, shop: SyntheticShop, batch: int, k: int) -> tuple[np.ndarray, int, int]:
    """Policy output -> [B, k] shop indices (-1 = empty slot); unknown ids and repeats dropped.
    Returns the slates, the number of ids returned (up to k per slate) and how many were unknown."""
    got = len(slates) if hasattr(slates, "__len__") and not isinstance(slates, str | bytes) else None
    if got != batch:
        raise ValueError(
            f"policy must return one list of raw ids per history ({batch} histories), got "
            f"{got if got is not None else type(slates).__name__}"
        )
    out = np.full((batch, k), -1, dtype=np.int64)
    returned = unknown = 0
    for b, ids in enumerate(slates):
        if isinstance(ids, str | bytes):
            raise ValueError(f"policy returned a string for history {b}; expected a list of raw ids")
        ids = list(ids)[:k]
        idx = shop.index_of(ids, strict=False)
        returned += len(idx)
        unknown += int((idx < 0).sum())
        idx = idx[idx >= 0]
        _, first = np.unique(idx, return_index=True)
        idx = idx[np.sort(first)]  # keep the first occurrence, in the policy's order
        out[b, : len(idx)] = idx
    return out, returned, unknown


def random_policy(shop: SyntheticShop, rng: np.random.Generator) -> RecommendFn:
    """k items uniformly at random among those not in the history: the lower reference."""
    raw_ids = shop.raw_ids

    def recommend(histories: Sequence[Sequence[str]], k: int) -> list[list[str]]:
        out = []
        for history in histories:
            seen = shop.index_of(list(history), strict=False)
            scores = rng.random(shop.n_items)
            scores[seen[seen >= 0]] = np.inf
            out.append([raw_ids[i] for i in np.argsort(scores, kind="stable")[:k] if np.isfinite(scores[i])])
        return out

    return recommend


def popularity_policy(events: pa.Table) -> RecommendFn:
    """The k most frequent items in ``events`` (any table with a ``raw_id`` column, e.g. the shop's logs),
    excluding the history; ties keep the raw-id order."""
    if events.schema.get_field_index(schema.RAW_ID) < 0:
        raise ValueError(f"popularity_policy: events need a {schema.RAW_ID!r} column (raw item ids)")
    counts = pc.value_counts(events.column(schema.RAW_ID).combine_chunks())
    ids = counts.field("values").to_pylist()
    n = counts.field("counts").to_numpy()
    order = sorted(range(len(ids)), key=lambda i: (-int(n[i]), ids[i]))
    ranked = [ids[i] for i in order]

    def recommend(histories: Sequence[Sequence[str]], k: int) -> list[list[str]]:
        out = []
        for history in histories:
            seen = set(history)
            out.append([r for r in ranked[: k + len(seen)] if r not in seen][:k])
        return out

    return recommend
