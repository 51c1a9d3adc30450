"""Output guards: learec replaces only what it wrote, and only a folder of the same kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from learec.platform.common import atomic, outputs


def _write_output(folder: Path, kind: str, text: str) -> None:
    with atomic.atomic_path(folder, kind=kind) as tmp:
        tmp.mkdir()
        (tmp / "data.txt").write_text(text)


def test_a_new_or_empty_folder_is_claimed_and_marked(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for name in ("new", "empty"):
        assert outputs.claim_output(tmp_path / name, "model") == (tmp_path / name).resolve()
        _write_output(tmp_path / name, "model", "v1")
        assert outputs.kind_of(tmp_path / name) == "model"


def test_a_foreign_folder_is_never_replaced(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "thesis.tex").write_text("years of work")
    for replace in (False, True):
        with pytest.raises(FileExistsError, match="not written by learec"):
            outputs.claim_output(project, "le-checkpoint", replace=replace)
    with pytest.raises(FileExistsError, match="not written by learec"):
        _write_output(project, "le-checkpoint", "x")  # the library path refuses too
    assert (project / "thesis.tex").read_text() == "years of work"


def test_an_output_of_another_kind_is_refused_even_with_force(tmp_path: Path) -> None:
    _write_output(tmp_path / "data", "prepared-data", "v1")
    with pytest.raises(FileExistsError, match="holds a learec prepared data folder, not a LE checkpoint"):
        outputs.claim_output(tmp_path / "data", "le-checkpoint", replace=True)
    with pytest.raises(FileExistsError, match="not a LE checkpoint"):
        _write_output(tmp_path / "data", "le-checkpoint", "x")
    assert (tmp_path / "data" / "data.txt").read_text() == "v1"


def test_an_output_of_the_same_kind_needs_the_flag(tmp_path: Path) -> None:
    _write_output(tmp_path / "m", "model", "v1")
    with pytest.raises(FileExistsError, match="pass --fresh to replace it"):
        outputs.claim_output(tmp_path / "m", "model", flag="--fresh")
    outputs.claim_output(tmp_path / "m", "model", replace=True)
    _write_output(tmp_path / "m", "model", "v2")
    assert (tmp_path / "m" / "data.txt").read_text() == "v2"


def test_a_file_where_a_folder_goes_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(FileExistsError, match="is a file, not a folder"):
        outputs.claim_output(tmp_path / "f", "shop-logs", replace=True)


def test_a_file_write_never_replaces_a_folder(tmp_path: Path) -> None:
    (tmp_path / "x.json").mkdir()
    (tmp_path / "x.json" / "keep").write_text("k")
    with pytest.raises(FileExistsError, match="refusing to replace it with a file"):
        atomic.write_json({"a": 1}, tmp_path / "x.json")
    assert (tmp_path / "x.json" / "keep").exists()


def test_relative_paths_resolve_against_the_current_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert outputs.claim_output("m", "model") == tmp_path / "m"
    assert outputs.resolve_path("~").is_absolute()


def test_temps_of_dead_writers_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    """A SIGKILLed writer leaves `.<name>.<pid>-*.tmp`; the next write of that name removes it."""
    import os
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)  # fmt: skip
    stale = tmp_path / f".x.json.{dead.stdout.strip()}-abc.tmp"
    (stale / "x.json").mkdir(parents=True)
    live = tmp_path / f".x.json.{os.getpid()}-def.tmp"
    live.mkdir()
    other = tmp_path / ".y.json.1-ghi.tmp"  # another output's temp is not touched
    other.mkdir()
    atomic.write_json({"a": 1}, tmp_path / "x.json")
    assert not stale.exists() and live.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name, "x.json"])
