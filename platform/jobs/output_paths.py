"""Where a job's outputs land: relative output paths never end up in a Ray job's throwaway folder.

``ray job submit --working-dir .`` unpacks the project under Ray's ``runtime_resources`` folder and runs
the job there; Ray deletes that copy with the job, so a relative ``runs_dir=runs`` would lose every
result. Rule (README "On a cluster"):

* an absolute path is used as given (on a cluster: an NFS path or a mounted bucket every node sees);
* a relative path resolves against ``LEAREC_RUNS_DIR`` when it is set;
* otherwise it resolves against the current folder, except inside a Ray job's unpacked working
  directory, where it is refused with a sentence that says what to set.
"""

from __future__ import annotations

import os
from pathlib import Path

RUNS_BASE_ENV = "LEAREC_RUNS_DIR"
# Ray unpacks working_dir packages below <session>/runtime_resources.
RAY_UNPACKED_MARKER = "runtime_resources"


def in_ray_job_copy(folder: Path) -> bool:
    """True when ``folder`` lies in a working directory Ray unpacked for a job (deleted with the job)."""
    return RAY_UNPACKED_MARKER in Path(folder).resolve().parts


def resolve_output(path: str | Path, option: str) -> Path:
    """The absolute, durable location of the output ``path`` given as ``option`` (named in errors)."""
    path = Path(path).expanduser()
    if path.is_absolute():
        return path
    base = os.environ.get(RUNS_BASE_ENV)
    if base:
        base_path = Path(base).expanduser()
        if not base_path.is_absolute():
            raise ValueError(
                f"{RUNS_BASE_ENV}={base!r} must be an absolute folder such as /mnt/shared/learec"
            )
        return base_path / path
    cwd = Path.cwd()
    if in_ray_job_copy(cwd):
        raise ValueError(
            f"{option}={str(path)!r} is relative and this job runs in Ray's temporary copy of the project "
            f"({cwd}), which Ray deletes with the job: pass an absolute path on shared storage "
            f"(e.g. {option}=/mnt/shared/learec/{path}) or set {RUNS_BASE_ENV} in the job's runtime_env"
        )
    return cwd / path
