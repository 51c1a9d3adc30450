"""Off-policy estimates of a policy's purchase rate from logged slates and their propensities.

The estimand is what the online evaluation measures: purchases per slate shown. A target policy shows its
top-k items at a logged state; the logs show what the *logging* recommender put in front of the user,
with each slate item's exposure propensity ``p(a | s)`` and the user's reaction. All three estimators use
the **item-level** decomposition that slate off-policy evaluation needs when exact slate propensities are
~0 (the target's top-k is practically never the logged slate): the slate's value is taken as the sum of
its items' values, each item's reward observed only when the logging slate exposed it.

For the logged step ``t`` with exposed items ``S_t``, rewards ``r_ta`` (1 when ``a`` was clicked from
the slate and bought), the target's list ``T_t`` and ``w_ta = 1[a in T_t] / p(a | s_t)``:

* **IPS**   ``mean_t  sum_{a in S_t} w_ta r_ta``  (unbiased under the item-level assumption)
* **SNIPS** the same, normalised by the weights: ``E[sum_{a in S_t} w_ta] = |T_t|`` for a policy whose
  items can all be exposed, so ``SNIPS = mean_t |T_t| * sum w r / sum w``
* **DR**    ``mean_t [ sum_{a in T_t} q(a) + sum_{a in S_t} w_ta (r_ta - q(a)) ]`` with ``q(a)`` a per-item
  purchase-per-exposure model, cross-fitted on the other half of the logged sessions.

The item-level assumption is wrong in a real way: items on one slate compete for one click, and the
logged user can leave the slate for their own search where the online user can only leave. The shop
knows the true online value, so the report shows each estimator's error against it instead of trusting
any of them; the rank agreement across policies (Kendall's tau) says whether they still order policies
correctly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from learec.platform.data import schema

RecommendFn = Callable[[Sequence[Sequence[str]], int], list[list[str]]]
ESTIMATORS = ("ips", "snips", "dr")
PRIOR_EXPOSURES = 10.0  # shrinkage of the per-item reward model toward the global rate


@dataclass(frozen=True)
class LoggedSlates:
    """Logged steps in a form the estimators read; item ids are dense indices of ``raw_ids``."""

    histories: list[list[str]]  # [T] raw ids of the session's events before the step, oldest first
    slates: np.ndarray  # [T, K] exposed items (-1: a duplicate slot, dropped)
    propensity: np.ndarray  # [T, K] exposure propensity of each slate item
    reward: np.ndarray  # [T, K] 1.0 where that slate item was clicked and bought
    session_id: np.ndarray  # [T]
    raw_ids: list[str]

    @property
    def n_steps(self) -> int:
        return len(self.histories)

    @classmethod
    def from_shop_logs(cls, events: pa.Table, impressions: pa.Table, raw_ids: Sequence[str]) -> LoggedSlates:
        """Join the shop's events (raw ids, click then purchase rows) with its per-step impressions."""
        if impressions is None or impressions.num_rows == 0:
            raise ValueError("off-policy estimates need logged impressions (shop.generate(impressions=True))")
        sessions = np.asarray(events.column(schema.SESSION_ID).to_numpy(zero_copy_only=False))
        items = events.column(schema.RAW_ID).to_pylist()
        kinds = events.column(schema.EVENT).to_pylist()
        before: dict[tuple[int, int], list[str]] = {}
        history: list[str] = []
        current, step = None, 0
        for session, item, kind in zip(sessions.tolist(), items, kinds, strict=True):
            if session != current:
                current, step, history = session, 0, []
            if kind == schema.CLICK:
                before[(session, step)] = list(history)
                step += 1
            history.append(item)
        imp_session = np.asarray(impressions.column("session_id").to_numpy())
        imp_step = np.asarray(impressions.column("step").to_numpy())
        slates = _fixed(impressions.column("slate"), np.int64)
        propensity = _fixed(impressions.column("propensity"), np.float64)
        clicked = np.asarray(impressions.column("clicked").to_numpy())
        hit = np.asarray(impressions.column("from_slate").to_numpy(zero_copy_only=False)) & np.asarray(
            impressions.column("bought").to_numpy(zero_copy_only=False)
        )
        slates = _drop_repeats(slates)
        reward = ((slates == clicked[:, None]) & hit[:, None]).astype(np.float64)
        missing = [
            key for key in zip(imp_session.tolist(), imp_step.tolist(), strict=True) if key not in before
        ]
        if missing:
            raise ValueError(f"impressions name steps the events do not have, e.g. {missing[0]}")
        histories = [before[key] for key in zip(imp_session.tolist(), imp_step.tolist(), strict=True)]
        return cls(histories, slates, propensity, reward, imp_session, list(raw_ids))

    def subset(self, rows: np.ndarray) -> LoggedSlates:
        return LoggedSlates(
            [self.histories[i] for i in rows],
            self.slates[rows],
            self.propensity[rows],
            self.reward[rows],
            self.session_id[rows],
            self.raw_ids,
        )


def _fixed(column: pa.ChunkedArray, dtype: type) -> np.ndarray:
    arr = column.combine_chunks()
    width = (
        arr.type.list_size if pa.types.is_fixed_size_list(arr.type) else int(arr.value_lengths()[0].as_py())
    )
    return np.asarray(arr.flatten().to_numpy(zero_copy_only=False), dtype=dtype).reshape(len(arr), width)


def _drop_repeats(slates: np.ndarray) -> np.ndarray:
    """Slots drawn with replacement can repeat an item: keep its first slot, mark the others -1."""
    out = slates.copy()
    for j in range(1, slates.shape[1]):
        out[:, j] = np.where((slates[:, :j] == slates[:, j : j + 1]).any(axis=1), -1, slates[:, j])
    return out


@dataclass(frozen=True)
class ItemRewardModel:
    """``q(a)``: purchases per exposure of each item, shrunk toward the global rate (the DR baseline)."""

    q: np.ndarray  # [N]

    @classmethod
    def fit(cls, logs: LoggedSlates, n_items: int) -> ItemRewardModel:
        exposed = logs.slates >= 0
        items = logs.slates[exposed]
        shows = np.bincount(items, minlength=n_items).astype(np.float64)
        buys = np.bincount(items, weights=logs.reward[exposed], minlength=n_items)
        rate = buys.sum() / max(shows.sum(), 1.0)
        return cls((buys + PRIOR_EXPOSURES * rate) / (shows + PRIOR_EXPOSURES))


def target_lists(policy: RecommendFn, logs: LoggedSlates, k: int, batch: int = 512) -> np.ndarray:
    """``[T, k]`` the policy's items at every logged state as dense ids (-1: unknown id or short list)."""
    index = {r: i for i, r in enumerate(logs.raw_ids)}
    out = np.full((logs.n_steps, k), -1, dtype=np.int64)
    for lo in range(0, logs.n_steps, batch):
        lists = policy(logs.histories[lo : lo + batch], k)
        for row, items in enumerate(lists):
            seen: set[int] = set()
            for col, raw in enumerate(items[:k]):
                i = index.get(raw, -1)
                if i >= 0 and i not in seen:
                    out[lo + row, col] = i
                    seen.add(i)
    return out


def estimates(targets: np.ndarray, logs: LoggedSlates, q: ItemRewardModel) -> dict[str, float]:
    """IPS, SNIPS and DR of the policy whose lists are ``targets`` ``[T, k]``, given logs and ``q``."""
    in_target = (logs.slates[:, :, None] == targets[:, None, :]).any(-1) & (logs.slates >= 0)  # [T, K]
    weight = np.where(in_target, 1.0 / logs.propensity, 0.0)
    list_len = (targets >= 0).sum(axis=1).astype(np.float64)  # [T]
    weighted = (weight * logs.reward).sum(axis=1)  # [T]
    total_weight = weight.sum()
    q_exposed = np.where(logs.slates >= 0, q.q[np.maximum(logs.slates, 0)], 0.0)
    direct = np.where(targets >= 0, q.q[np.maximum(targets, 0)], 0.0).sum(axis=1)  # [T]
    correction = (weight * (logs.reward - q_exposed)).sum(axis=1)
    return {
        "ips": float(weighted.mean()),
        "snips": float(list_len.mean() * weighted.sum() / total_weight) if total_weight > 0 else math.nan,
        "dr": float((direct + correction).mean()),
        "mean_weight": float(weight.sum(axis=1).mean()),  # ~ mean list length when the logs cover the policy
    }


def off_policy_estimates(
    policy: RecommendFn, logs: LoggedSlates, k: int, n_items: int, folds: int = 2, seed: int = 0
) -> dict[str, float]:
    """The three estimates of ``policy`` with top-``k`` lists; DR's reward model is cross-fitted over
    ``folds`` groups of sessions (fitted on the others, applied to one)."""
    targets = target_lists(policy, logs, k)
    sessions = np.unique(logs.session_id)
    fold_of = dict(
        zip(sessions.tolist(), np.random.default_rng(seed).permutation(len(sessions)) % folds, strict=True)
    )
    fold = np.array([fold_of[s] for s in logs.session_id.tolist()])
    whole = estimates(targets, logs, ItemRewardModel.fit(logs, n_items))
    dr = 0.0
    for f in range(folds):
        held, rest = np.nonzero(fold == f)[0], np.nonzero(fold != f)[0]
        model = ItemRewardModel.fit(logs.subset(rest), n_items)
        dr += estimates(targets[held], logs.subset(held), model)["dr"] * len(held)
    return {**whole, "dr": dr / logs.n_steps, "n_steps": float(logs.n_steps)}


def kendall_tau(a: Sequence[float], b: Sequence[float]) -> float:
    """Kendall's tau-a between two score lists over the same policies (1: same order; NaN: < 2 policies)."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(x) < 2:
        return math.nan
    i, j = np.triu_indices(len(x), k=1)
    return float((np.sign(x[i] - x[j]) * np.sign(y[i] - y[j])).sum() / len(i))


def estimator_errors(
    estimated: Mapping[str, Mapping[str, float]], truth: Mapping[str, float]
) -> dict[str, dict[str, float]]:
    """Per estimator over the policies that have both: mean absolute error, mean relative error, and
    Kendall's tau against the true values."""
    models = [m for m in estimated if m in truth]
    out: dict[str, dict[str, float]] = {}
    for name in ESTIMATORS:
        est = np.array([estimated[m][name] for m in models], dtype=np.float64)
        true = np.array([truth[m] for m in models], dtype=np.float64)
        rel = np.abs(est - true) / np.where(true > 0, true, np.nan)
        out[name] = {
            "mae": float(np.abs(est - true).mean()) if models else math.nan,
            "mean_relative_error": float(np.nanmean(rel)) if models and not np.isnan(rel).all() else math.nan,
            "kendall_tau": kendall_tau(est, true),
        }
    return out
