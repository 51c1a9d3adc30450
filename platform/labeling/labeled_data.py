"""The layout of a labeled-transitions folder, and its one reader.

``learec label --output DIR`` writes ``DIR/<label_version>/``: ``part-XXXXX.parquet`` files, ``_plan.json``
(the input and partitioning, written first) and ``_SUCCESS`` (parts, rows, schema, written last). A folder
without ``_SUCCESS`` is partly labeled: training on it would silently use a subset of the rows, so
:meth:`LabeledData.open` refuses it and says how to finish.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from learec.platform.common.parquet_parts import parquet_parts
from learec.platform.data import schema

PLAN_NAME = "_plan.json"
SUCCESS_NAME = "_SUCCESS"


@dataclass(frozen=True)
class LabeledData:
    """A finished labeling: its part files, ``label_version`` and the width of the ``le_state`` column."""

    root: Path  # the <label_version> folder
    label_version: str
    files: list[Path]
    rows: int
    le_state_dim: int

    @classmethod
    def open(cls, path: Path) -> LabeledData:
        """Read the labels at ``path`` (a ``<label_version>`` folder, or the output folder holding one)."""
        root = _version_dir(Path(path))
        success = root / SUCCESS_NAME
        if not success.is_file():
            raise ValueError(_unfinished_message(root))
        done = json.loads(success.read_text(encoding="utf-8"))
        expected = [root / p["name"] for p in done["parts"]]
        files = parquet_parts(root)
        if files != sorted(expected):
            missing = sorted({p.name for p in expected} - {p.name for p in files})
            raise ValueError(
                f"{root}: the part files differ from those _SUCCESS lists (missing: "
                f"{', '.join(missing[:3]) or 'none'}); label again into a new --output folder"
            )
        first = pq.read_schema(files[0])
        width = (
            first.field(schema.LE_STATE).type.list_size if first.get_field_index(schema.LE_STATE) >= 0 else 0
        )
        return cls(root, str(done["label_version"]), files, int(done["rows"]), int(width))


def _version_dir(path: Path) -> Path:
    if (path / PLAN_NAME).is_file() or (path / SUCCESS_NAME).is_file():
        return path
    versions = sorted(p for p in path.glob("*") if (p / PLAN_NAME).is_file()) if path.is_dir() else []
    if len(versions) == 1:
        return versions[0]
    if versions:
        names = ", ".join(p.name for p in versions)
        raise ValueError(f"{path} holds several label versions ({names}); pass one of them as --labels")
    raise ValueError(f"{path} holds no labeled transitions; run `learec label` first")


def _unfinished_message(root: Path) -> str:
    plan = json.loads((root / PLAN_NAME).read_text(encoding="utf-8"))
    done = len(parquet_parts(root))
    return (
        f"{root} is only partly labeled ({done} of {len(plan['parts'])} parts): finish labeling by running "
        f"`learec label --le <the same LE checkpoint> --input {plan['input']} --output {root.parent}` "
        "again (it resumes), then train"
    )
