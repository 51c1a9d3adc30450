"""Per-positive LE rewards for LEA's TD term: which columns a run reads, the fitted scale, old labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from reference.tiny_transitions import transitions_table

from learec.platform.data import schema
from learec.rllib_algos.common.lea_rewards import fit_reward_scale, read_reward_scale
from learec.rllib_algos.common.offline_input import check_input, label_columns
from learec.rllib_algos.common.params import RecRLParams

LE_AFFINE = RecRLParams(lea_augment_k=2, lea_reward_source="le_affine")


def test_only_per_positive_rewards_read_the_column() -> None:
    assert schema.LE_POS_REWARDS not in label_columns(RecRLParams(lea_augment_k=2, lea_reward=0.2))
    assert schema.LE_POS_REWARDS in label_columns(LE_AFFINE)
    assert label_columns(RecRLParams(lea_reward_source="le_sigmoid")) == []  # no positives, no rewards


def test_labels_without_positive_rewards_are_refused_in_one_sentence(tmp_path: Path) -> None:
    """Labels written before le_pos_rewards existed: the message names the folder and `learec label`."""
    folder = tmp_path / "labels" / "94306e57ef261fe6"
    folder.mkdir(parents=True)
    old = transitions_table(5, seed=0, labeled=True).drop_columns([schema.LE_POS_REWARDS])
    pq.write_table(old, folder / "part-00000.parquet")
    files = [str(folder / "part-00000.parquet")]
    assert check_input(files, RecRLParams(lea_augment_k=2, lea_reward=0.2)) == 0  # constant: still fine
    with pytest.raises(ValueError) as info:
        check_input(files, LE_AFFINE)
    text = str(info.value)
    assert text.startswith(f"{folder}: ") and "`learec label`" in text and "lea_reward_source" in text
    assert "\n" not in text and text.count(". ") == 0


def test_scale_is_fitted_on_the_logged_rows_of_every_file(tmp_path: Path) -> None:
    tables = [transitions_table(20, seed=s, labeled=True) for s in (1, 2)]
    files = []
    for i, t in enumerate(tables):
        pq.write_table(t, tmp_path / f"part-{i}.parquet")
        files.append(str(tmp_path / f"part-{i}.parquet"))
    z = np.concatenate([t.column(schema.LE_REWARD).to_numpy() for t in tables])
    r = np.concatenate([t.column(schema.REWARD).to_numpy() for t in tables])
    assert read_reward_scale(files) == fit_reward_scale(z, r)
    assert read_reward_scale(files).high == pytest.approx(1.0)  # the purchase reward
