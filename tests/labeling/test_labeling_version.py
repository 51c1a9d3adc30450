"""label_version: changes with what changes labels, and only with that."""

from __future__ import annotations

import dataclasses

import pytest

from learec.platform.labeling.pipeline import LabelingConfig
from learec.platform.labeling.version import label_settings, label_version

BASE = LabelingConfig()


def test_version_changes_with_checkpoint_and_k() -> None:
    v = label_version("abc123", BASE)
    assert v == label_version("abc123", LabelingConfig())
    assert v != label_version("abc124", BASE)
    assert v != label_version("abc123", LabelingConfig(k=BASE.k + 1))


@pytest.mark.parametrize(
    "changes",
    [
        {"batch_size": 7},
        {"max_actors": 5},
        {"cpus_per_actor": 0.25},
        {"rows_per_part": 10},
        {"device": "cpu"},
    ],
)
def test_version_ignores_speed_and_layout_fields(changes: dict) -> None:
    assert label_version("abc123", BASE) == label_version("abc123", dataclasses.replace(BASE, **changes))


def test_label_fields_are_exactly_the_declared_ones() -> None:
    assert set(label_settings(BASE)) == {"k", "engine"}


def test_labels_with_positive_rewards_have_a_new_version() -> None:
    """Labels without le_pos_rewards (format 1) got this version; relabeling must not resume into them."""
    assert label_version("abc123", BASE) != "94306e57ef261fe6"


def test_empty_checkpoint_hash_is_refused() -> None:
    with pytest.raises(ValueError, match="checkpoint hash"):
        label_version("", BASE)


def test_version_is_a_short_hex_string() -> None:
    v = label_version("abc123", BASE)
    assert len(v) == 16 and int(v, 16) >= 0
