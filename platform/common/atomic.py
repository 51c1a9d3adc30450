"""Write files so that readers never see half-written output: write to a temporary sibling, then rename."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from learec.platform.common import outputs


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], kind: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it is renamed onto ``path``, on error removed.

    Works for files and directories (whatever the caller creates at the yielded path). A folder output
    names its ``kind`` (see :mod:`learec.platform.common.outputs`): the finished folder gets the marker,
    and an existing folder at ``path`` is replaced only when it is empty or a learec output of that kind.
    Without ``kind``, an existing folder is never replaced.
    """
    final = Path(path)
    _check_target(final, kind)  # before the work, so a refused folder costs nothing
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(final)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.{os.getpid()}-", suffix=".tmp", dir=final.parent))
    target = tmp / final.name
    try:
        yield target
        if kind is not None and target.is_dir():
            outputs.write_marker(target, kind)
        _check_target(final, kind)
        if final.is_dir() and not final.is_symlink():
            shutil.rmtree(final)
        os.replace(target, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def remove_stale_temps(final: Path) -> list[Path]:
    """Remove the temporary siblings of ``final`` left by writers that died (SIGKILL, power loss).

    A temp folder is named ``.<name>.<pid>-<random>.tmp``; it is stale when that process no longer runs on
    this machine. Folders of live writers are left alone. Returns what was removed.
    """
    removed = []
    for tmp in final.parent.glob(f".{glob.escape(final.name)}.*.tmp"):
        pid_text = tmp.name[len(final.name) + 2 :].split("-", 1)[0]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            shutil.rmtree(tmp, ignore_errors=True)
            removed.append(tmp)
    return removed


def _check_target(final: Path, kind: str | None) -> None:
    if not final.is_dir() or final.is_symlink():
        return
    if kind is None:
        if not outputs.is_empty_dir(final):
            raise FileExistsError(f"{final} is a folder; refusing to replace it with a file")
        return
    outputs.check_replaceable(final, kind)


def write_parquet(table: Any, path: str | os.PathLike[str]) -> Path:
    """Write a pyarrow table to ``path`` atomically."""
    import pyarrow.parquet as pq

    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return Path(path)


def write_text(text: str, path: str | os.PathLike[str]) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(data: Any, path: str | os.PathLike[str]) -> Path:
    return write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", path)
