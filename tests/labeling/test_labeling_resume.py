"""Resume bookkeeping without Ray: one writer per version folder, leftovers removed, finished parts known."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from learec.platform.common import atomic
from learec.platform.labeling.parts import plan_parts
from learec.platform.labeling.pipeline import (
    LabelingConfig,
    _exclusive,
    _finished,
    _pin_plan,
    _remove_temporaries,
)


def test_a_second_writer_of_one_version_folder_is_refused(tmp_path) -> None:
    with _exclusive(tmp_path / "v1"):
        with pytest.raises(ValueError, match="another labeling run"), _exclusive(tmp_path / "v1"):
            pass
        with _exclusive(tmp_path / "v2"):  # other versions are independent
            pass
    with _exclusive(tmp_path / "v1"):  # released on exit
        pass


def test_leftover_temporaries_are_removed_and_parts_kept(tmp_path) -> None:
    atomic.write_parquet(pa.table({"x": [1, 2]}), tmp_path / "part-00000.parquet")
    (tmp_path / ".part-00001.parquet.abc.tmp").mkdir()  # what a killed atomic write leaves
    (tmp_path / ".part-00001.parquet.abc.tmp" / "part-00001.parquet").write_bytes(b"half")
    _remove_temporaries(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part-00000.parquet"]


def test_a_part_is_finished_only_with_its_full_row_count(tmp_path) -> None:
    pq.write_table(pa.table({"x": [1, 2, 3]}), tmp_path / "p.parquet")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    assert _finished(tmp_path / "p.parquet", 3)
    assert not _finished(tmp_path / "p.parquet", 4)
    assert not _finished(tmp_path / "bad.parquet", 3)
    assert not _finished(tmp_path / "missing.parquet", 3)


def test_plan_is_pinned_and_another_layout_refused(tmp_path, write_transitions) -> None:
    path = write_transitions("in/t.parquet", 40, seed=1)
    out = tmp_path / "out"
    out.mkdir()
    _pin_plan(out, path, plan_parts(path, 16), LabelingConfig(rows_per_part=16))
    _pin_plan(out, path, plan_parts(path, 16), LabelingConfig(rows_per_part=16, batch_size=3))
    with pytest.raises(ValueError, match="rows_per_part"):
        _pin_plan(out, path, plan_parts(path, 10), LabelingConfig(rows_per_part=10))
    write_transitions("in/t.parquet", 41, seed=1)  # the input grew
    with pytest.raises(ValueError, match="another input"):
        _pin_plan(out, path, plan_parts(path, 16), LabelingConfig(rows_per_part=16))
