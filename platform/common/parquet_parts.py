"""The one rule for finding the Parquet files of a dataset path (transitions, labels, labeling input).

A file is itself; a folder holds every ``*.parquet`` below it, sorted by relative path, skipping hidden
and marker names (``.x``, ``_x``: atomic-write temporaries, ``_SUCCESS``, ``_plan.json``) as Arrow
datasets do, so a half-written temporary is never read.
"""

from __future__ import annotations

from pathlib import Path


def parquet_parts(path: Path) -> list[Path]:
    """The Parquet files of ``path`` (empty when it holds none or does not exist)."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    return sorted(
        p
        for p in path.rglob("*.parquet")
        if p.is_file() and not any(s.startswith((".", "_")) for s in p.relative_to(path).parts)
    )
