"""Is a gain real? Paired comparisons of two models on the same test events.

Two sources of noise are separated:

* **users**: the test split is one sample of users. :func:`paired_bootstrap` resamples test *sessions*
  (a user's events stay together, so their correlation is kept) and recomputes the difference of the two
  models' mean per-event metric on each resample; the 95 % interval of that difference decides.
* **training seeds**: :func:`seed_differences` pairs the models' runs seed by seed (same data, same seed)
  and reports the mean and spread of the per-seed differences and how many seeds agree in sign. With 3
  seeds no seed-level test can reach 5 % (a sign-flip test's smallest p-value is 0.25), so it is shown as
  context, and the bootstrap runs on the per-event metric averaged over seeds.

A difference whose interval contains 0 is reported as a **tie**.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from learec.platform.common.atomic import atomic_path
from learec.platform.data import schema
from learec.platform.eval import metrics as metric_registry
from learec.platform.eval.protocol import ALL_EVENTS, NEW_PREFIX, RankedTargets

TEST_RANKS = "test_ranks.npz"  # per-event test results beside a trained model (train job, popularity)
TIE, BETTER, WORSE = "tie", "better", "worse"


def save_ranked(ranked: RankedTargets, path: Path) -> Path:
    """Store the per-event results (not the top-k lists) as ``.npz``, atomically."""
    arrays = {"ranks": ranked.ranks, "is_buy": ranked.is_buy, "is_new": ranked.is_new}
    if ranked.session_id is not None:
        arrays["session_id"] = ranked.session_id
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return Path(path)


@dataclass(frozen=True)
class EventResults:
    """What :func:`save_ranked` stored: one entry per test event."""

    ranks: np.ndarray
    is_buy: np.ndarray
    is_new: np.ndarray
    session_id: np.ndarray

    @classmethod
    def load(cls, path: Path) -> EventResults:
        try:
            with np.load(Path(path), allow_pickle=False) as z:
                ranks = z["ranks"]
                sessions = z["session_id"] if "session_id" in z.files else np.arange(len(ranks))
                return cls(ranks, z["is_buy"].astype(bool), z["is_new"].astype(bool), sessions)
        except (OSError, KeyError, ValueError) as exc:
            raise ValueError(f"{path}: not a per-event results file ({exc}); retrain the model") from None

    def mask(self, group: str) -> np.ndarray:
        """The events of a target group: ``click``, ``purchase``, ``all``, ``new_click``, ``new_purchase``."""
        if group == ALL_EVENTS:
            return np.ones_like(self.is_buy)
        new = group.startswith(NEW_PREFIX)
        event = group[len(NEW_PREFIX) :] if new else group
        if event not in (schema.CLICK, schema.PURCHASE):
            raise ValueError(f"unknown target group {group!r}")
        mask = self.is_buy if event == schema.PURCHASE else ~self.is_buy
        return mask & self.is_new if new else mask

    def values(self, metric: str, k: int) -> np.ndarray:
        """Per-event value of ``metric@k`` (e.g. NDCG of each target)."""
        return metric_registry.get(metric).fn(self.ranks, k)


@dataclass(frozen=True)
class Comparison:
    """``a - b`` of a metric's mean over one target group, with its bootstrap interval over users."""

    delta: float
    low: float
    high: float
    n_events: int
    seeds_agreeing: int  # seeds where a - b has the sign of ``delta``
    n_seed_pairs: int
    seed_delta_std: float

    @property
    def verdict(self) -> str:
        if math.isnan(self.delta) or self.low <= 0.0 <= self.high:
            return TIE
        return BETTER if self.delta > 0 else WORSE

    def text(self, digits: int = 4) -> str:
        if math.isnan(self.delta):
            return "–"
        sign = f"{self.delta:+.{digits}f} [{self.low:+.{digits}f}, {self.high:+.{digits}f}]"
        seeds = f", {self.seeds_agreeing}/{self.n_seed_pairs} seeds" if self.n_seed_pairs > 1 else ""
        return f"{sign} {self.verdict}{seeds}"


def _check_aligned(runs: Sequence[EventResults], what: str) -> None:
    first = runs[0]
    for run in runs[1:]:
        if len(run.ranks) != len(first.ranks) or not np.array_equal(run.is_buy, first.is_buy):
            raise ValueError(f"{what}: the runs were not evaluated on the same test events")


def seed_differences(a: Sequence[float], b: Sequence[float]) -> np.ndarray:
    """Per-seed ``a - b`` for runs paired by seed (the shorter list decides how many pairs)."""
    n = min(len(a), len(b))
    return np.asarray(a[:n], dtype=np.float64) - np.asarray(b[:n], dtype=np.float64)


def paired_bootstrap(
    a_runs: Sequence[EventResults],
    b_runs: Sequence[EventResults],
    metric: str = "ndcg",
    k: int = 10,
    group: str = schema.PURCHASE,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Comparison:
    """Compare model A (its seeds ``a_runs``) with model B on the same test events, resampling sessions."""
    if not a_runs or not b_runs:
        raise ValueError("paired_bootstrap needs at least one run of each model")
    _check_aligned([*a_runs, *b_runs], "paired_bootstrap")
    mask = a_runs[0].mask(group)
    n_events = int(mask.sum())
    a_seed = [float(r.values(metric, k)[mask].mean()) if n_events else math.nan for r in a_runs]
    b_seed = [float(r.values(metric, k)[mask].mean()) if n_events else math.nan for r in b_runs]
    diffs = seed_differences(a_seed, b_seed)
    if n_events == 0:
        return Comparison(math.nan, math.nan, math.nan, 0, 0, len(diffs), math.nan)
    a_mean = np.mean([r.values(metric, k) for r in a_runs], axis=0)[mask]  # per event, over seeds
    b_mean = np.mean([r.values(metric, k) for r in b_runs], axis=0)[mask]
    sessions = a_runs[0].session_id[mask]
    _, index = np.unique(sessions, return_inverse=True)
    n_sessions = int(index.max()) + 1
    diff_sum = np.bincount(index, weights=a_mean - b_mean, minlength=n_sessions)  # [S]
    count = np.bincount(index, minlength=n_sessions).astype(np.float64)  # [S]
    rng = np.random.default_rng(seed)
    # Each replicate draws sessions with replacement: multiplicities from a multinomial.
    weights = rng.multinomial(n_sessions, np.full(n_sessions, 1.0 / n_sessions), size=n_boot)  # [R, S]
    boot = (weights @ diff_sum) / np.maximum(weights @ count, 1.0)
    tail = (1.0 - confidence) / 2.0
    delta = float(diff_sum.sum() / count.sum())
    agreeing = int((np.sign(diffs) == np.sign(delta)).sum()) if delta else 0
    std = float(diffs.std(ddof=1)) if len(diffs) > 1 else math.nan
    return Comparison(
        delta,
        float(np.quantile(boot, tail)),
        float(np.quantile(boot, 1.0 - tail)),
        n_events,
        agreeing,
        len(diffs),
        std,
    )


def compare_models(
    runs: Mapping[str, Sequence[EventResults]],
    reference: str,
    metric: str = "ndcg",
    k: int = 10,
    groups: Sequence[str] = (schema.CLICK, schema.PURCHASE, ALL_EVENTS, NEW_PREFIX + schema.CLICK),
    n_boot: int = 2000,
) -> dict[str, dict[str, Comparison]]:
    """``{model: {group: Comparison against reference}}`` for every model but the reference."""
    if reference not in runs:
        raise ValueError(f"reference model {reference!r} has no per-event results")
    return {
        model: {
            group: paired_bootstrap(model_runs, runs[reference], metric, k, group, n_boot) for group in groups
        }
        for model, model_runs in runs.items()
        if model != reference
    }
