"""The weak-LE warning: raised when counting on the same logs ranks held-out pairs as well as the LE."""

from __future__ import annotations

from learec.platform.le.quality_check import weak_le_warning


def test_an_le_below_popularity_is_flagged_with_what_to_do() -> None:
    text = weak_le_warning({"le/pair_acc": 0.629, "pop/pair_acc": 0.637, "cooc_subset/pair_acc": 0.588})
    assert text is not None
    assert "0.629" in text and "popularity fitted on all training data (0.637)" in text
    assert "co-occurrence" not in text  # the LE beats the subset's co-occurrence: only the bar it misses
    assert "le.user_fraction" in text


def test_an_le_below_its_own_subsets_cooccurrence_is_flagged() -> None:
    text = weak_le_warning({"le/pair_acc": 0.60, "pop/pair_acc": 0.55, "cooc_subset/pair_acc": 0.62})
    assert text is not None and "co-occurrence fitted on the LE's own users (0.620)" in text


def test_an_le_above_both_bars_or_without_figures_is_quiet() -> None:
    assert weak_le_warning({"le/pair_acc": 0.86, "pop/pair_acc": 0.83, "cooc_subset/pair_acc": 0.78}) is None
    assert weak_le_warning({}) is None
    assert weak_le_warning({"le/pair_acc": 0.7}) is None
