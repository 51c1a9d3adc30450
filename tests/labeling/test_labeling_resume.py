"""Resume bookkeeping without Ray: one writer per version folder, leftovers removed, finished parts known."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from learec.platform.common import atomic
from learec.platform.labeling.input_check import input_identity
from learec.platform.labeling.parts import input_schema, plan_parts
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


def _pin(out, path, rows_per_part: int, restart: bool = False, **config) -> None:
    identity = input_identity(path, input_schema(path))
    cfg = LabelingConfig(rows_per_part=rows_per_part, **config)
    _pin_plan(out, path, plan_parts(path, rows_per_part), cfg, identity, restart)


def test_plan_is_pinned_and_another_layout_refused(tmp_path, write_transitions) -> None:
    path = write_transitions("in/t.parquet", 40, seed=1)
    out = tmp_path / "out"
    out.mkdir()
    _pin(out, path, 16)
    _pin(out, path, 16, batch_size=3)
    with pytest.raises(ValueError, match="rows_per_part"):
        _pin(out, path, 10)
    write_transitions("in/t.parquet", 41, seed=1)  # the input grew
    with pytest.raises(ValueError, match="another input"):
        _pin(out, path, 16)


def test_same_file_name_with_other_contents_is_another_input(tmp_path, write_transitions) -> None:
    """Same name, same row count, other rows: the content fingerprint tells them apart."""
    path = write_transitions("in/t.parquet", 40, seed=1)
    out = tmp_path / "out"
    out.mkdir()
    _pin(out, path, 16)
    (out / "part-00000.parquet").write_bytes(b"labels of the first input")
    write_transitions("in/t.parquet", 40, seed=2)
    with pytest.raises(ValueError, match=r"another input .*sha256 differs.*--force"):
        _pin(out, path, 16)
    assert (out / "part-00000.parquet").exists()  # refusing deletes nothing
    _pin(out, path, 16, restart=True)  # --force: the folder restarts on the new input
    assert sorted(p.name for p in out.iterdir()) == ["_plan.json"]
    _pin(out, path, 16)  # and now resumes quietly
