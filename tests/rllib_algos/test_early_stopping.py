"""Early stopping's bookkeeping: the best validation, patience and the purchase -> click fallback."""

from __future__ import annotations

import math

import pytest

from learec.rllib_algos.common.early_stopping import BestOnVal, metric_value
from learec.rllib_algos.common.train_config import TrainConfig


def test_best_on_val_counts_validations_without_a_better_value() -> None:
    tracker = BestOnVal("ndcg@10/purchase", patience=2)
    assert tracker.update({"ndcg@10/purchase": 0.3}, 10)
    assert not tracker.update({"ndcg@10/purchase": 0.3}, 20)  # a tie is not better: the earlier stays
    assert not tracker.exhausted
    assert tracker.update({"ndcg@10/purchase": 0.4}, 30)  # a new best resets the count
    assert not tracker.update({"ndcg@10/purchase": 0.1}, 40)
    assert not tracker.update({"ndcg@10/purchase": 0.2}, 50)
    assert tracker.exhausted and tracker.best == 0.4 and tracker.best_iteration == 30


def test_patience_zero_never_stops() -> None:
    tracker = BestOnVal("ndcg@10/purchase", patience=0)
    tracker.update({"ndcg@10/purchase": 0.5}, 1)
    for it in range(2, 20):
        tracker.update({"ndcg@10/purchase": 0.1}, it)
    assert not tracker.exhausted


def test_a_log_without_purchases_selects_on_clicks() -> None:
    val = {"ndcg@10/purchase": math.nan, "ndcg@10/click": 0.25, "n/purchase": 0.0}
    assert metric_value(val, "ndcg@10/purchase") == ("ndcg@10/click", 0.25)
    assert metric_value({"hr@20/click": 0.5}, "hr@20/click") == ("hr@20/click", 0.5)


def test_an_unknown_metric_names_what_val_has() -> None:
    with pytest.raises(ValueError, match=r"select_metric 'mrr@10/purchase'.*ndcg@10/click"):
        metric_value({"ndcg@10/click": 0.2, "n/click": 3.0}, "mrr@10/purchase")


def test_iterations_win_over_epochs_and_epochs_are_the_default() -> None:
    assert TrainConfig().iterations is None and TrainConfig().epochs > 0
    assert TrainConfig(iterations=5).iterations == 5
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs=0)


@pytest.mark.parametrize("bad", ["ndcg10/purchase", "ndcg@10/buy", "ndcg@0/click", "ndcg@10", "new_all"])
def test_a_malformed_select_metric_fails_when_the_config_is_built(bad: str) -> None:
    with pytest.raises(ValueError, match="select_metric must look like ndcg@10/purchase"):
        TrainConfig(select_metric=bad)


@pytest.mark.parametrize("good", ["ndcg@10/purchase", "hr@20/click", "ndcg@5/all", "mrr@10/new_click"])
def test_well_formed_select_metrics_are_accepted(good: str) -> None:
    assert TrainConfig(select_metric=good).select_metric == good
