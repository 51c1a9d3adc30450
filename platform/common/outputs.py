"""Output guards: learec never deletes or overwrites a folder it did not write.

Every folder learec writes carries a small marker file (``.learec-output.json``) that names what kind of
output it is (``prepared-data``, ``le-checkpoint``, ``labels``, ``model``, ...). Before a command starts any
work, :func:`claim_output` checks the folder it was pointed at:

- missing or empty: fine, it is created;
- a learec output of the same kind: replaced only when the user asked (``--force``, or ``--fresh`` for a
  run), otherwise the error says which flag does it;
- anything else (a project, a home folder, a learec output of another kind): refused, whatever the flags.

:func:`learec.platform.common.atomic.atomic_path` applies the same rule when it swaps a finished folder in,
so a library caller that skipped the check still cannot wipe a foreign folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

MARKER_FILE = ".learec-output.json"

# kind -> what a user calls it in an error message
KINDS = {
    "run": "run folder",
    "prepared-data": "prepared data folder",
    "le-checkpoint": "LE checkpoint",
    "labels": "labels folder",
    "model": "trained model folder",
    "policy": "exported policy",
    "shop-logs": "synthetic shop logs folder",
    "recbole": "RecBole export folder",
    "language-model": "converted language model",
    "le-rollout": "LE rollout folder",
}


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise KeyError(f"unknown output kind {kind!r}; known: {', '.join(sorted(KINDS))}")


def resolve_path(path: str | os.PathLike[str]) -> Path:
    """An absolute path (``~`` expanded): relative paths are read against the current folder, once."""
    return Path(path).expanduser().resolve()


def kind_of(folder: str | os.PathLike[str]) -> str | None:
    """The output kind recorded in ``folder``'s marker, or None when it has no readable marker."""
    marker = Path(folder) / MARKER_FILE
    if not marker.is_file():
        return None
    try:
        kind = json.loads(marker.read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        return None
    return kind if isinstance(kind, str) else None


def write_marker(folder: str | os.PathLike[str], kind: str) -> Path:
    """Record in ``folder`` that learec wrote it as an output of ``kind``."""
    _check_kind(kind)
    marker = Path(folder) / MARKER_FILE
    marker.write_text(json.dumps({"kind": kind, "writer": "learec"}) + "\n", encoding="utf-8")
    return marker


def is_empty_dir(folder: Path) -> bool:
    return folder.is_dir() and next(folder.iterdir(), None) is None


def check_replaceable(folder: Path, kind: str) -> None:
    """Raise unless ``folder`` is absent, empty, or a learec output of ``kind`` (``atomic_path``'s rule)."""
    _check_kind(kind)
    if not folder.exists() or is_empty_dir(folder):
        return
    if not folder.is_dir():
        raise FileExistsError(f"{folder} is a file, not a folder; choose a folder path for the {KINDS[kind]}")
    found = kind_of(folder)
    if found is None:
        raise FileExistsError(
            f"{folder} is not empty and was not written by learec; refusing to replace it: "
            "choose a new or empty folder"
        )
    if found != kind:
        raise FileExistsError(
            f"{folder} holds a learec {KINDS.get(found, found)}, not a {KINDS[kind]}; "
            "refusing to replace it: choose another folder"
        )


def claim_output(
    path: str | os.PathLike[str], kind: str, *, replace: bool = False, flag: str = "--force"
) -> Path:
    """Check an output folder a user named before any work starts; returns its absolute path.

    ``replace`` is the user's ``--force``/``--fresh``; ``flag`` is the option's name for the error message.
    """
    folder = resolve_path(path)
    check_replaceable(folder, kind)
    if kind_of(folder) == kind and not replace:
        raise FileExistsError(f"{folder} already holds a learec {KINDS[kind]}; pass {flag} to replace it")
    return folder
