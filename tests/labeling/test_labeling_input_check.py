"""Labeling checks its input before any actor starts: the LE's items must be the data's."""

from __future__ import annotations

import pytest

from learec.platform.labeling.input_check import check_vocabulary
from learec.platform.labeling.pipeline import label_transitions
from learec.platform.le.checkpoint import read_manifest

N_ITEMS = 30  # the tiny LE's catalogue (tests/labeling/conftest.py)


def test_an_le_of_other_items_is_refused_before_ray(tiny_le, tmp_path, write_transitions) -> None:
    """30-item LE, 60-item data: refused by the ids in the input (no prepared folder to compare with)."""
    path = write_transitions("big.parquet", 100, seed=0, n_items=2 * N_ITEMS)
    with pytest.raises(ValueError, match=r"holds item id \d+, beyond the 30 items"):
        label_transitions(tiny_le, path, tmp_path / "labels")
    assert not (tmp_path / "labels").exists()  # nothing written, Ray never started


def test_the_vocabulary_hash_decides_when_the_raw_ids_are_known(tiny_le, write_transitions) -> None:
    path = write_transitions("t.parquet", 50, seed=1)
    manifest = read_manifest(tiny_le)
    check_vocabulary(manifest, tiny_le, path, [f"sku-{i}" for i in range(N_ITEMS)])
    check_vocabulary(manifest, tiny_le, path)  # ids inside the LE's range pass without raw ids
    with pytest.raises(ValueError, match="trained on 30 items .* has 30 items"):
        check_vocabulary(manifest, tiny_le, path, [f"other-{i}" for i in range(N_ITEMS)])
