"""Deterministic partitions of the input and their exactly-once assembly on the driver.

A part is a fixed row range ``[start, stop)`` of one input Parquet file. Parts never cross files and are
numbered over the files sorted by relative path, so the same input and ``rows_per_part`` always give the
same parts: ``part-00000.parquet`` ... Each part is the unit of resume.

* :func:`read_part` reads only the row groups overlapping a part and tags every row with ``_part`` (part
  index) and ``_row`` (offset in the part); ``source.PartsDatasource`` runs it as one Ray Data read task
  per *unfinished* part, so finished parts are never read again.
* :class:`PartAssembler` collects labeled rows per part as blocks stream back to the driver, drops
  duplicates by ``_row`` (a retried task may emit rows twice), and hands a part over once every one of
  its rows has arrived, sorted back into input order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from learec.platform.common.parquet_parts import parquet_parts
from learec.platform.data import schema

PART_COLUMN = "_part"  # int32 part index
ROW_COLUMN = "_row"  # int64 offset of the row inside its part
PART_TEMPLATE = "part-{:05d}.parquet"


@dataclass(frozen=True)
class Part:
    """Rows ``[start, stop)`` of ``path`` (``source`` is that file relative to the input root)."""

    index: int
    path: str
    source: str
    start: int
    stop: int

    @property
    def rows(self) -> int:
        return self.stop - self.start

    @property
    def name(self) -> str:
        return PART_TEMPLATE.format(self.index)


def input_files(input_path: Path) -> tuple[Path, list[Path]]:
    """The input root and its Parquet files sorted by relative path (a file, or a folder searched deeply).

    Files are found by :func:`parquet_parts` (hidden and marker names skipped).
    """
    input_path = Path(input_path)
    if not input_path.exists():
        raise ValueError(f"labeling input {input_path} does not exist; pass a Parquet file or folder")
    files = parquet_parts(input_path)
    if input_path.is_file():
        return input_path.parent, files
    if not files:
        raise ValueError(f"labeling input {input_path} holds no .parquet file")
    return input_path, files


def plan_parts(input_path: Path, rows_per_part: int) -> list[Part]:
    """Split the input into parts of at most ``rows_per_part`` rows (from Parquet metadata only)."""
    root, files = input_files(input_path)
    parts: list[Part] = []
    for path in files:
        n = pq.ParquetFile(path).metadata.num_rows
        for start in range(0, n, rows_per_part):
            parts.append(
                Part(
                    index=len(parts),
                    path=str(path.resolve()),
                    source=path.relative_to(root).as_posix(),
                    start=start,
                    stop=min(n, start + rows_per_part),
                )
            )
    return parts


def input_schema(input_path: Path) -> pa.Schema:
    """The schema shared by every input file; a file that differs is a ValueError naming it."""
    _, files = input_files(input_path)
    first = pq.read_schema(files[0])
    for path in files[1:]:
        other = pq.read_schema(path)
        if not other.remove_metadata().equals(first.remove_metadata()):
            raise ValueError(
                f"labeling input {path} has another schema than {files[0]}; label them separately"
            )
    return first


def state_len(input_schema_: pa.Schema, where: str) -> int:
    """``L``, the width of the fixed-size ``state`` lists of a transitions schema."""
    idx = input_schema_.get_field_index(schema.STATE)
    if idx < 0:
        raise ValueError(f"{where}: missing column {schema.STATE!r}; expected labeled transitions input")
    typ = input_schema_.field(idx).type
    if not pa.types.is_fixed_size_list(typ):
        raise ValueError(f"{where}: column {schema.STATE!r} must be a fixed-size list (got {typ})")
    return typ.list_size


def read_part(part: Part) -> pa.Table:
    """The rows of ``part``, reading only the row groups that overlap it, with ``_part`` and ``_row``."""
    f = pq.ParquetFile(part.path)
    groups, first_row, offset = [], None, 0
    for g in range(f.metadata.num_row_groups):
        n = f.metadata.row_group(g).num_rows
        if offset < part.stop and offset + n > part.start:
            groups.append(g)
            first_row = offset if first_row is None else first_row
        offset += n
    table = f.read_row_groups(groups).slice(part.start - (first_row or 0), part.rows)
    if table.num_rows != part.rows:
        raise ValueError(
            f"labeling input {part.path} changed while labeling: rows {part.start}:{part.stop} "
            f"gave {table.num_rows} rows"
        )
    table = table.append_column(PART_COLUMN, pa.array(np.full(part.rows, part.index, np.int32)))
    return table.append_column(ROW_COLUMN, pa.array(np.arange(part.rows, dtype=np.int64)))


class PartAssembler:
    """Collects streamed rows per part; yields each part once, complete and in input order."""

    def __init__(self, parts: Sequence[Part]) -> None:
        self._parts = {p.index: p for p in parts}
        self._seen = {p.index: np.zeros(p.rows, dtype=bool) for p in parts}
        self._chunks: dict[int, list[dict[str, np.ndarray]]] = {p.index: [] for p in parts}
        self._finished: set[int] = set()
        self.duplicates = 0

    def add(self, batch: dict[str, np.ndarray]) -> Iterator[tuple[Part, dict[str, np.ndarray]]]:
        """Take one labeled batch (numpy columns); yield ``(part, columns)`` for every part it completes."""
        part_ids = batch[PART_COLUMN]
        for pid in np.unique(part_ids):
            pid = int(pid)
            mask = part_ids == pid
            if pid in self._finished:  # a retried task re-sent rows of a part already written
                self.duplicates += int(mask.sum())
                continue
            if pid not in self._parts:
                raise ValueError(f"labeling produced rows of part {pid}, which this run did not read")
            rows = batch[ROW_COLUMN][mask]
            seen = self._seen[pid]
            # Keep the first copy of each row: a retried task may send rows again.
            rows, first = np.unique(rows, return_index=True)
            fresh = ~seen[rows]
            self.duplicates += int(mask.sum() - fresh.sum())
            if not fresh.any():
                continue
            keep = np.flatnonzero(mask)[first[fresh]]
            seen[rows[fresh]] = True
            self._chunks[pid].append({k: v[keep] for k, v in batch.items()})
            if seen.all():
                yield self._parts.pop(pid), self._finish(pid)

    def _finish(self, pid: int) -> dict[str, np.ndarray]:
        chunks = self._chunks.pop(pid)
        del self._seen[pid]
        self._finished.add(pid)
        columns = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
        order = np.argsort(columns[ROW_COLUMN], kind="stable")
        return {k: v[order] for k, v in columns.items()}

    @property
    def pending(self) -> list[Part]:
        """Parts still missing rows."""
        return sorted(self._parts.values(), key=lambda p: p.index)
