"""The labeled-data reader refuses a folder whose labeling has not finished, naming it and the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from learec.platform.labeling.labeled_data import PLAN_NAME, SUCCESS_NAME, LabeledData


def partly_labeled(root: Path) -> Path:
    """A version folder as a killed `learec label` leaves it: the plan, one of two parts, no _SUCCESS."""
    version = root / "0123456789abcdef"
    version.mkdir(parents=True)
    plan = {
        "input": "/data/transitions/train.parquet",
        "rows_per_part": 2,
        "parts": [["t", 0, 2], ["t", 2, 4]],
    }
    (version / PLAN_NAME).write_text(json.dumps(plan))
    pq.write_table(pa.table({"le_state": pa.array([[0.0, 1.0]] * 2, pa.list_(pa.float32(), 2))}),
                   version / "part-00000.parquet")  # fmt: skip
    return version


def test_partly_labeled_folder_is_refused_with_the_way_to_finish(tmp_path: Path) -> None:
    version = partly_labeled(tmp_path)
    for path in (tmp_path, version):
        with pytest.raises(ValueError) as err:
            LabeledData.open(path)
        message = str(err.value)
        assert f"{version} is only partly labeled (1 of 2 parts)" in message
        assert f"--input /data/transitions/train.parquet --output {tmp_path}" in message


def test_finished_folder_gives_files_version_and_le_state_width(tmp_path: Path) -> None:
    version = partly_labeled(tmp_path)
    pq.write_table(pq.read_table(version / "part-00000.parquet"), version / "part-00001.parquet")
    (version / ".part-00002.parquet.x.tmp").write_text("half-written")  # never read
    parts = [{"name": f"part-0000{i}.parquet", "rows": 2} for i in range(2)]
    (version / SUCCESS_NAME).write_text(
        json.dumps({"label_version": version.name, "rows": 4, "parts": parts})
    )
    labels = LabeledData.open(tmp_path)
    assert labels.files == [version / "part-00000.parquet", version / "part-00001.parquet"]
    assert (labels.label_version, labels.rows, labels.le_state_dim) == (version.name, 4, 2)


def test_folder_without_labels_says_to_label_first(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="holds no labeled transitions; run `learec label` first"):
        LabeledData.open(tmp_path)
