"""What labeling checks about its input before any actor starts: its identity and its item vocabulary.

* :func:`input_identity` is the content fingerprint (sha256 of every file), row count and schema that
  ``_plan.json`` pins, so a resume never mixes labels of two inputs that share a file name.
* :func:`check_vocabulary` refuses an LE trained on other items than the data's: with the prepared data
  folder the input comes from, by the vocabulary hash; without it, by the item ids the input holds
  (Parquet statistics, no full read), which must lie inside the LE's vocabulary.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from learec.platform.data import schema
from learec.platform.labeling.parts import input_files


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def input_identity(input_path: Path, in_schema: pa.Schema) -> dict[str, Any]:
    """Files (relative path, rows, bytes, sha256), total rows and schema of a labeling input."""
    root, files = input_files(input_path)
    entries = [
        {
            "source": f.relative_to(root).as_posix(),
            "rows": pq.ParquetFile(f).metadata.num_rows,
            "bytes": f.stat().st_size,
            "sha256": file_sha256(f),
        }
        for f in files
    ]
    return {
        "files": entries,
        "rows": sum(e["rows"] for e in entries),
        "schema": [f"{f.name}: {f.type}" for f in in_schema.remove_metadata()],
    }


def describe_difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    """A short phrase saying how two identities differ (for the refusal message)."""
    if old.get("schema") != new["schema"]:
        return "another schema"
    if old.get("rows") != new["rows"]:
        return f"{old.get('rows')} rows, this input has {new['rows']}"
    return "other file contents (sha256 differs)"


def prepared_raw_ids(input_path: Path) -> list[str] | None:
    """The raw item ids of the prepared data folder ``input_path`` lies in (``<data>/transitions/...``)."""
    from learec.platform.data.prepare import STATS_FILE, load_prepared

    for folder in list(Path(input_path).resolve().parents)[:3]:
        if (folder / STATS_FILE).is_file() and (folder / "items.parquet").is_file():
            return load_prepared(folder).raw_ids()
    return None


def _column_max(files: Sequence[Path], column_path: str) -> int | None:
    """Max of a leaf column from Parquet row-group statistics; None when a file has none."""
    best: int | None = None
    for f in files:
        meta = pq.ParquetFile(f).metadata
        index = next((i for i in range(meta.num_columns) if meta.schema.column(i).path == column_path), None)
        if index is None:
            return None
        for g in range(meta.num_row_groups):
            stats = meta.row_group(g).column(index).statistics
            if meta.row_group(g).num_rows == 0:
                continue
            if stats is None or not stats.has_min_max:
                return None
            best = int(stats.max) if best is None else max(best, int(stats.max))
    return best


def check_vocabulary(
    manifest: dict[str, Any],
    ckpt_dir: Path,
    input_path: Path,
    expected_raw_ids: Sequence[str] | None = None,
) -> None:
    """Raise a ValueError when the LE at ``ckpt_dir`` was trained on other items than the input's."""
    from learec.platform.le.checkpoint import vocab_hash

    items = manifest["items"]
    count, le_hash = int(items["count"]), str(items["vocab_hash"])
    raw_ids = list(expected_raw_ids) if expected_raw_ids is not None else prepared_raw_ids(input_path)
    retrain = "retrain the LE on this data (`learec le train`) or label the data it was trained on"
    if raw_ids is not None:
        if vocab_hash([str(r) for r in raw_ids]) != le_hash:
            raise ValueError(
                f"LE checkpoint {ckpt_dir} was trained on {count} items (hash {le_hash[:8]}), the data of "
                f"{input_path} has {len(raw_ids)} items (hash {vocab_hash(raw_ids)[:8]}): {retrain}"
            )
        return
    _, files = input_files(input_path)
    checks = (
        (schema.ACTION, _column_max(files, schema.ACTION), count - 1),
        (schema.STATE, _column_max(files, f"{schema.STATE}.list.element"), count),  # pad id = n_items
    )
    for column, got, limit in checks:
        if got is not None and got > limit:
            raise ValueError(
                f"{input_path}: column {column!r} holds item id {got}, beyond the {count} items LE "
                f"checkpoint {ckpt_dir} knows: {retrain}"
            )
