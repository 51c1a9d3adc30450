"""Online evaluation against simulated shop users: reference-policy ordering, batching, robustness."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from learec.platform.sim.online_eval import (
    evaluate_oracle,
    evaluate_policy,
    popularity_policy,
    random_policy,
)
from learec.platform.sim.shop import ShopConfig, SyntheticShop

CONFIG = ShopConfig(n_items=200, n_users=150, n_sessions=400)
N_SESSIONS = 300


@pytest.fixture(scope="module")
def shop() -> SyntheticShop:
    return SyntheticShop(CONFIG)


@pytest.fixture(scope="module")
def reference(shop: SyntheticShop) -> dict[str, dict[str, float]]:
    logs = shop.generate()
    return {
        "random": evaluate_policy(random_policy(shop, np.random.default_rng(0)), shop, n_sessions=N_SESSIONS),
        "popularity": evaluate_policy(popularity_policy(logs.events), shop, n_sessions=N_SESSIONS),
        "oracle": evaluate_oracle(shop, n_sessions=N_SESSIONS),
    }


def test_random_below_popularity_below_oracle(reference: dict[str, dict[str, float]]) -> None:
    rnd, pop, orc = reference["random"], reference["popularity"], reference["oracle"]
    for metric in ("purchase_rate", "expected_purchase_rate", "mean_slate_utility", "ndcg_true@10"):
        assert rnd[metric] < pop[metric] < orc[metric], metric
    assert rnd["clicks_per_session"] < orc["clicks_per_session"]
    assert orc["ndcg_true@10"] == pytest.approx(1.0)


def test_metrics_are_bounded(reference: dict[str, dict[str, float]]) -> None:
    for metrics in reference.values():
        assert all(math.isfinite(v) for v in metrics.values())
        assert 0 <= metrics["purchase_rate"] <= metrics["click_rate"] <= 1
        assert 0 <= metrics["ndcg_true@10"] <= 1 + 1e-9
        assert 0 < metrics["steps_per_session"] <= 10
        assert metrics["clicks_per_session"] <= metrics["steps_per_session"]
        assert metrics["unknown_id_rate"] == 0.0
        assert metrics["n_sessions"] == N_SESSIONS and metrics["k"] == 10


def test_same_seed_same_result_other_seed_other_users(shop: SyntheticShop) -> None:
    def run(seed: int) -> dict[str, float]:
        return evaluate_policy(random_policy(shop, np.random.default_rng(3)), shop, n_sessions=50, seed=seed)

    assert run(0) == run(0)
    assert run(0) != run(1)


def test_one_policy_call_per_step_for_all_live_sessions(shop: SyntheticShop) -> None:
    calls: list[tuple[int, set[int]]] = []
    known = set(shop.raw_ids)

    def policy(histories: Sequence[Sequence[str]], k: int) -> list[list[str]]:
        assert all(isinstance(r, str) and r in known for h in histories for r in h)
        calls.append((len(histories), {len(h) for h in histories}))
        return [shop.raw_ids[:k] for _ in histories]

    metrics = evaluate_policy(policy, shop, n_sessions=40, k=5, max_steps=6, history_len=3)
    assert 1 <= len(calls) <= 6
    assert calls[0][0] == 40
    for step, (batch, lengths) in enumerate(calls):
        assert lengths == {3 + step}, "every live session has clicked at every earlier step"
        assert step == 0 or batch <= calls[step - 1][0]
    assert metrics["steps_per_session"] == pytest.approx(sum(b for b, _ in calls) / 40)


def test_unknown_ids_short_and_empty_slates_do_not_crash(shop: SyntheticShop) -> None:
    def messy(histories: Sequence[Sequence[str]], k: int) -> list[list[str]]:
        out: list[list[str]] = []
        for b, _ in enumerate(histories):
            if b % 3 == 0:
                out.append([])
            elif b % 3 == 1:
                out.append(["not-an-item", shop.raw_ids[b % 50], shop.raw_ids[b % 50], "sku-99999"])
            else:
                out.append(shop.raw_ids[: k + 5])  # too many: cut to k
        return out

    metrics = evaluate_policy(messy, shop, n_sessions=60, k=4)
    assert all(math.isfinite(v) for v in metrics.values())
    assert 0 < metrics["unknown_id_rate"] < 1
    assert 0 <= metrics["purchase_rate"] <= metrics["click_rate"] < 1


def test_empty_slates_make_users_leave(shop: SyntheticShop) -> None:
    metrics = evaluate_policy(lambda histories, k: [[] for _ in histories], shop, n_sessions=20)
    assert metrics["steps_per_session"] == 1.0
    assert metrics["clicks_per_session"] == 0.0 and metrics["purchase_rate"] == 0.0


def test_bad_policy_output_and_arguments_raise(shop: SyntheticShop) -> None:
    with pytest.raises(ValueError, match="one list of raw ids per history"):
        evaluate_policy(lambda histories, k: [["sku-0001"]], shop, n_sessions=5)
    with pytest.raises(ValueError, match="string"):
        evaluate_policy(lambda histories, k: ["sku-0001" for _ in histories], shop, n_sessions=5)
    with pytest.raises(ValueError, match="'oracle'"):
        evaluate_policy("popular", shop)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k must be"):
        evaluate_policy("oracle", shop, k=0)
