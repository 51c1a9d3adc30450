"""Labeling checks its input before any actor starts: the LE's items must be the data's."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import N_ITEMS, make_transitions

from learec.platform.labeling.input_check import check_vocabulary
from learec.platform.labeling.pipeline import label_transitions
from learec.platform.le.checkpoint import read_manifest


def test_an_le_of_other_items_is_refused_before_ray(tiny_le, tmp_path) -> None:
    """30-item LE, 60-item data: refused by the ids in the input (no prepared folder to compare with)."""
    path = tmp_path / "big.parquet"
    pq.write_table(make_transitions(100, 2 * N_ITEMS, np.random.default_rng(0)), path)
    with pytest.raises(ValueError, match=r"holds item id \d+, beyond the 30 items"):
        label_transitions(tiny_le, path, tmp_path / "labels")
    assert not (tmp_path / "labels").exists()  # nothing written, Ray never started


def test_the_vocabulary_hash_decides_when_the_raw_ids_are_known(tiny_le, tmp_path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(make_transitions(50, N_ITEMS, np.random.default_rng(1)), path)
    manifest = read_manifest(tiny_le)
    check_vocabulary(manifest, tiny_le, path, [f"sku-{i}" for i in range(N_ITEMS)])
    check_vocabulary(manifest, tiny_le, path)  # ids inside the LE's range pass without raw ids
    with pytest.raises(ValueError, match="trained on 30 items .* has 30 items"):
        check_vocabulary(manifest, tiny_le, path, [f"other-{i}" for i in range(N_ITEMS)])
