"""The sim-to-real verdicts: a gain counts only beyond the seed spread, and "LE only" is what it says."""

from __future__ import annotations

import math

from learec.platform.eval.sim_to_real import LE_ONLY, markdown, spearman, summarise


def rows(group: str, le: list[float], shop: list[float]) -> list[dict]:
    return [
        {"group": group, "le": {"purchase_rate": a, "expected_purchase_rate": a, "expected_click_rate": 0.5},
         "true": {"purchase_rate": b, "expected_purchase_rate": b, "click_rate": 0.9},
         "offline": {"ndcg@10/purchase": 0.1, "ndcg@10/click": 0.1}}
        for a, b in zip(le, shop, strict=True)
    ]  # fmt: skip


def test_verdicts_against_ce_beyond_the_seed_spread() -> None:
    data = (
        rows("CE (g)", [0.10, 0.11, 0.12], [0.20, 0.21, 0.22])
        + rows("PPO (g)", [0.20, 0.21, 0.22], [0.19, 0.20, 0.21])  # better in the LE only
        + rows("SQN (g)", [0.20, 0.21, 0.22], [0.30, 0.31, 0.32])  # better in both
        + rows("Noisy (g)", [0.05, 0.30, 0.10], [0.10, 0.40, 0.10])  # mean gains inside its spread
        + rows("One (g)", [0.5], [0.5])
    )
    summary = summarise(data)
    verdicts = {g: e["verdict"] for g, e in summary["table"].items()}
    assert verdicts == {"CE (g)": "reference", "PPO (g)": LE_ONLY, "SQN (g)": "better in both",
                        "Noisy (g)": "not better", "One (g)": "n/a (1 seed)"}  # fmt: skip
    gap = summary["table"]["CE (g)"]["gap (exp.)"]
    assert math.isclose(gap[0], -0.10) and math.isclose(gap[1], 0.0, abs_tol=1e-12)
    text = markdown(summary)
    assert "| PPO (g) | 3 |" in text and LE_ONLY in text


def test_spearman_orders_and_ties() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert math.isnan(spearman([1, 2], [1, 2])) and math.isnan(spearman([1, 1, 1], [1, 2, 3]))
