"""Partitions and driver-side assembly: every row lands in exactly one part, once, in input order."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from learec.platform.data import schema
from learec.platform.labeling.parts import (
    PART_COLUMN,
    ROW_COLUMN,
    PartAssembler,
    input_files,
    input_schema,
    plan_parts,
    read_part,
    state_len,
)
from learec.platform.labeling.pipeline import output_schema, to_table


def test_parts_cover_every_row_once_and_are_deterministic(write_transitions, tmp_path) -> None:
    write_transitions("in/b.parquet", 95, seed=1)
    write_transitions("in/a.parquet", 40, seed=2)
    write_transitions("in/sub/c.parquet", 7, seed=3)
    write_transitions("in/_hidden/x.parquet", 9, seed=4)
    parts = plan_parts(tmp_path / "in", rows_per_part=30)
    assert parts == plan_parts(tmp_path / "in", rows_per_part=30)
    assert [p.index for p in parts] == list(range(len(parts)))
    assert [p.source for p in parts][:2] == ["a.parquet", "a.parquet"]  # sorted by relative path
    assert all(0 < p.rows <= 30 for p in parts)
    for source, n in [("a.parquet", 40), ("b.parquet", 95), ("sub/c.parquet", 7)]:
        ranges = sorted((p.start, p.stop) for p in parts if p.source == source)
        assert ranges[0][0] == 0 and ranges[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    assert not any("_hidden" in p.source for p in parts)


@pytest.mark.parametrize("row_group_size", [7, 30, 1000])
def test_read_part_returns_exactly_its_rows(write_transitions, row_group_size: int) -> None:
    path = write_transitions("t.parquet", 100, seed=5, row_group_size=row_group_size)
    full = pq.read_table(path)
    parts = plan_parts(path, rows_per_part=23)
    got = [read_part(p) for p in parts]
    for p, t in zip(parts, got, strict=True):
        assert t.column(PART_COLUMN).to_pylist() == [p.index] * p.rows
        assert t.column(ROW_COLUMN).to_pylist() == list(range(p.rows))
        assert t.drop_columns([PART_COLUMN, ROW_COLUMN]).equals(full.slice(p.start, p.rows))


def test_assembler_yields_each_part_once_in_order_despite_shuffle_and_duplicates(write_transitions) -> None:
    path = write_transitions("t.parquet", 50, seed=6)
    parts = plan_parts(path, rows_per_part=12)
    rng = np.random.default_rng(0)
    rows = pa.concat_tables([read_part(p) for p in parts])
    batch = {c: rows.column(c).to_numpy() for c in (PART_COLUMN, ROW_COLUMN, schema.ACTION)}
    order = rng.permutation(rows.num_rows)
    dup = rng.choice(rows.num_rows, size=15, replace=False)  # a retried task sending rows again
    stream = np.concatenate([order[:30], dup, order[30:], dup])
    assembler, out = PartAssembler(parts), []
    for chunk in np.array_split(stream, 9):
        out.extend(assembler.add({k: v[chunk] for k, v in batch.items()}))
    assert sorted(p.index for p, _ in out) == [p.index for p in parts]
    assert assembler.pending == [] and assembler.duplicates == 30
    actions = pq.read_table(path).column(schema.ACTION).to_numpy()
    for part, cols in out:
        np.testing.assert_array_equal(cols[ROW_COLUMN], np.arange(part.rows))
        np.testing.assert_array_equal(cols[schema.ACTION], actions[part.start : part.stop])


def test_assembler_rejects_rows_of_unknown_parts(write_transitions) -> None:
    parts = plan_parts(write_transitions("t.parquet", 10, seed=7), rows_per_part=5)
    assembler = PartAssembler(parts[:1])
    with pytest.raises(ValueError, match="part 1, which this run did not read"):
        list(assembler.add({PART_COLUMN: np.array([1]), ROW_COLUMN: np.array([0])}))


def test_to_table_restores_the_labeled_contract(write_transitions) -> None:
    path = write_transitions("t.parquet", 20, seed=8)
    table = read_part(plan_parts(path, rows_per_part=100)[0])
    n, d, k = table.num_rows, 6, 3
    cols = {c: table.column(c).to_numpy(zero_copy_only=False) for c in table.column_names}
    cols[schema.STATE] = np.stack(cols[schema.STATE])  # Ray Data hands tensors: [B, L]
    cols[schema.LE_STATE] = np.random.default_rng(0).random((n, d), dtype=np.float32)
    cols[schema.LE_REWARD] = np.zeros(n, np.float32)
    cols[schema.LE_POS_ACTIONS] = np.arange(n * k).reshape(n, k)
    cols[schema.LE_POS_REWARDS] = np.linspace(1, 0, n * k, dtype=np.float32).reshape(n, k)
    cols[schema.LABEL_VERSION] = np.full(n, "v1")
    out = to_table(cols, output_schema(input_schema(path), d, k, state_len(input_schema(path), "t")))
    assert out.schema.equals(schema.labeled_transitions_schema(d, k))
    assert out.column(schema.STATE).equals(table.column(schema.STATE))
    assert out.column(schema.LE_POS_ACTIONS).to_pylist()[1] == [3, 4, 5]


def test_bad_inputs_name_the_path(tmp_path, write_transitions) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        input_files(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"no \.parquet"):
        input_files(tmp_path / "empty")
    write_transitions("mixed/a.parquet", 5, seed=1)
    pq.write_table(pa.table({"x": [1]}), tmp_path / "mixed" / "b.parquet")
    with pytest.raises(ValueError, match="another schema"):
        input_schema(tmp_path / "mixed")
    pq.write_table(pa.table({"state": [[1, 2]]}), tmp_path / "var.parquet")
    with pytest.raises(ValueError, match="fixed-size list"):
        state_len(pq.read_schema(tmp_path / "var.parquet"), "var")
