"""Fixtures of the RLlib algorithm tests (data builders live in reference/tiny_transitions.py)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from reference.tiny_transitions import N_ITEMS, transitions_table


@pytest.fixture(scope="session")
def tiny_transitions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~250 labeled transition rows (one file); the labels are random."""
    path = tmp_path_factory.mktemp("rec_data") / "train.parquet"
    pq.write_table(transitions_table(50, seed=0, labeled=True), path)
    return path


@pytest.fixture(scope="session")
def raw_ids() -> list[str]:
    return [f"sku-{i}" for i in range(N_ITEMS)]
