"""Off-policy estimators: the shop's propensities are right, and the estimators behave as documented."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from learec.platform.eval.off_policy import (
    ItemRewardModel,
    LoggedSlates,
    estimates,
    estimator_errors,
    kendall_tau,
    off_policy_estimates,
)
from learec.platform.sim.online_eval import evaluate_policy, popularity_policy, random_policy
from learec.platform.sim.shop import ShopConfig, SyntheticShop


@pytest.fixture(scope="module")
def shop() -> SyntheticShop:
    return SyntheticShop(ShopConfig(n_items=120, n_users=100, n_sessions=400))


def test_recording_impressions_changes_no_event(shop) -> None:
    plain = shop.generate(200)
    recorded = shop.generate(200, impressions=True)
    assert plain.events.equals(recorded.events) and plain.impressions is None
    imp = recorded.impressions
    clicks = sum(1 for e in recorded.events.column("event").to_pylist() if e == "click")
    assert imp.num_rows == clicks  # one row per click step
    p = np.asarray(imp.column("propensity").combine_chunks().flatten())
    assert (p > 0).all() and (p <= 1).all()


@pytest.mark.parametrize("last", [-1, 7])
def test_exposure_propensity_matches_monte_carlo(shop, last: int) -> None:
    rng = np.random.default_rng(0)
    draws = 20_000
    slates = shop._logging_slate(np.full(draws, last), rng)
    empirical = np.array([(slates == item).any(axis=1).mean() for item in range(shop.n_items)])
    predicted = shop.exposure_propensity(np.arange(shop.n_items)[None, :], np.array([last]))[0]
    # binomial standard error at p <= 0.7 and 20k draws is <= 0.0033
    assert np.abs(empirical - predicted).max() < 0.015


def _toy_logs() -> LoggedSlates:
    """Two steps, slates of 2; item 0 clicked and bought at step 0."""
    return LoggedSlates(
        histories=[[], ["b"]],
        slates=np.array([[0, 1], [1, 2]]),
        propensity=np.array([[0.5, 0.25], [0.5, 0.5]]),
        reward=np.array([[1.0, 0.0], [0.0, 0.0]]),
        session_id=np.array([0, 1]),
        raw_ids=["a", "b", "c"],
    )


def test_estimators_by_hand() -> None:
    logs = _toy_logs()
    q = ItemRewardModel(np.array([0.2, 0.1, 0.0]))
    targets = np.array([[0, -1], [0, -1]])  # the policy shows only item 0
    got = estimates(targets, logs, q)
    assert got["ips"] == pytest.approx((1 / 0.5) / 2)  # step 0: w = 2, r = 1; step 1: item 0 not exposed
    assert got["snips"] == pytest.approx(1.0 * 2.0 / 2.0)  # mean list length 1, sum w r = 2, sum w = 2
    # DR: direct part q(0) at both steps + correction (1 - 0.2) / 0.5 at step 0
    assert got["dr"] == pytest.approx((0.2 + 0.2 + 0.8 / 0.5) / 2)


def test_repeated_slots_count_once() -> None:
    events = pa.table(
        {
            "session_id": pa.array([0, 0, 0], pa.int64()),
            "ts": pa.array([0, 1, 2], pa.int64()),
            "raw_id": ["a", "a", "b"],
            "event": ["click", "purchase", "click"],
        }
    )
    impressions = pa.table(
        {
            "session_id": pa.array([0, 0], pa.int64()),
            "step": pa.array([0, 1], pa.int64()),
            "slate": pa.FixedSizeListArray.from_arrays(pa.array([0, 0, 1, 1], pa.int64()), 2),
            "propensity": pa.FixedSizeListArray.from_arrays(pa.array([0.5, 0.5, 0.4, 0.4]), 2),
            "clicked": pa.array([0, 1], pa.int64()),
            "from_slate": [True, True],
            "bought": [True, False],
        }
    )
    logs = LoggedSlates.from_shop_logs(events, impressions, ["a", "b"])
    assert logs.histories == [[], ["a", "a"]]  # the second click's state holds the click and its purchase
    assert logs.slates.tolist() == [[0, -1], [1, -1]]
    assert logs.reward.tolist() == [[1.0, 0.0], [0.0, 0.0]]


def test_estimates_order_policies_like_the_simulator(shop) -> None:
    """IPS/SNIPS/DR overestimate (items compete for one click) but rank clearly different policies right."""
    train = shop.generate(400)
    held = shop.generate(400, seed=99, impressions=True)
    logs = LoggedSlates.from_shop_logs(held.events, held.impressions, shop.raw_ids)
    policies = {
        "popular": popularity_policy(train.events),
        "random": random_policy(shop, np.random.default_rng(1)),
    }
    estimated = {name: off_policy_estimates(p, logs, 10, shop.n_items) for name, p in policies.items()}
    truth = {
        name: evaluate_policy(p, shop, n_sessions=300, seed=0)["expected_purchase_rate"]
        for name, p in policies.items()
    }
    assert truth["popular"] > truth["random"]
    for name in ("ips", "snips", "dr"):
        assert estimated["popular"][name] > estimated["random"][name], name
    errors = estimator_errors(estimated, truth)
    assert errors["ips"]["kendall_tau"] == 1.0 and errors["ips"]["mae"] > 0


def test_kendall_tau() -> None:
    assert kendall_tau([1, 2, 3], [10, 20, 30]) == 1.0
    assert kendall_tau([1, 2, 3], [3, 2, 1]) == -1.0
    assert math.isnan(kendall_tau([1], [1]))
