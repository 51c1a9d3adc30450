"""Relative output paths never land in a Ray job's unpacked (deleted-with-the-job) working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from learec.platform.jobs.output_paths import RUNS_BASE_ENV, in_ray_job_copy, resolve_output
from learec.platform.jobs.pipeline import main as pipeline_main
from learec.platform.jobs.run_dir import RunDir


@pytest.fixture
def ray_job_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder shaped like the one ``ray job submit --working-dir .`` runs a job in."""
    folder = tmp_path / "session_x" / "runtime_resources" / "working_dir_files" / "_ray_pkg_0123abcd"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    monkeypatch.delenv(RUNS_BASE_ENV, raising=False)
    return folder


def test_relative_runs_dir_is_refused_inside_a_ray_job_copy(ray_job_copy: Path) -> None:
    assert in_ray_job_copy(Path.cwd())
    with pytest.raises(ValueError, match=r"runs_dir='runs' is relative .* LEAREC_RUNS_DIR"):
        RunDir.create("runs", "shop")
    assert not (ray_job_copy / "runs").exists()


def test_relative_runs_dir_resolves_against_the_declared_base(
    ray_job_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RUNS_BASE_ENV, str(tmp_path / "shared"))
    run = RunDir.create("runs", "shop")
    assert run.root == (tmp_path / "shared" / "runs" / "shop").resolve() and run.root.is_dir()
    assert resolve_output("labels", "--output") == tmp_path / "shared" / "labels"


def test_absolute_paths_are_kept_and_a_relative_base_is_refused(
    ray_job_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert resolve_output(tmp_path / "out", "--out") == tmp_path / "out"
    monkeypatch.setenv(RUNS_BASE_ENV, "shared")
    with pytest.raises(ValueError, match="must be an absolute folder"):
        resolve_output("runs", "runs_dir")


def test_outside_ray_jobs_relative_paths_resolve_against_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(RUNS_BASE_ENV, raising=False)
    assert not in_ray_job_copy(tmp_path)
    assert resolve_output("runs", "runs_dir") == tmp_path / "runs"


def test_pipeline_job_exits_with_one_sentence(ray_job_copy: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        pipeline_main([])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert "runs_dir='runs' is relative" in err
