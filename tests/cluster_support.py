"""A real Ray head on loopback for cluster tests, driven through Ray's own CLI (``ray start``, ``ray job``).

Everything stays private to the test: its own ``--temp-dir`` (so no other process on the machine finds
it through ``/tmp/ray/ray_current_cluster``), its own ``HOME`` (token file), explicit ports in the range
19000-19999, token authentication on, and the head's own processes stopped in ``finally``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support import REPO_ROOT

GCS_PORT = 19100
DASHBOARD_PORT = 19165
SERVE_PORT = 19180
HEAD_PORTS = [
    f"--port={GCS_PORT}",
    "--node-manager-port=19101",
    "--object-manager-port=19102",
    "--ray-client-server-port=19103",
    "--dashboard-agent-listen-port=19104",
    "--dashboard-agent-grpc-port=19105",
    "--runtime-env-agent-port=19106",
    "--metrics-export-port=19107",
    "--min-worker-port=19200",
    "--max-worker-port=19299",
    f"--dashboard-port={DASHBOARD_PORT}",
]
TERMINAL = {"SUCCEEDED", "FAILED", "STOPPED"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def ray_cli(*args: str) -> list[str]:
    """Ray's CLI run by this interpreter (the worktree venv has no ``ray`` script of its own)."""
    return [sys.executable, "-m", "ray.scripts.scripts", *args]


@dataclass(frozen=True)
class RayHead:
    env: dict[str, str]
    temp_dir: Path

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{DASHBOARD_PORT}"

    def run(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        out = subprocess.run(
            ray_cli(*args), env=self.env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout
        )
        if check and out.returncode != 0:
            raise AssertionError(f"ray {' '.join(args)} failed ({out.returncode}):\n{out.stderr[-3000:]}")
        return out

    def submit(self, submission_id: str, entrypoint: Sequence[str], runtime_env_json: str = "{}") -> None:
        """``ray job submit --working-dir . --no-wait -- <entrypoint>``: the CLI a user runs."""
        self.run(
            "job", "submit", "--address", self.address, "--submission-id", submission_id,
            "--working-dir", ".", "--runtime-env-json", runtime_env_json, "--no-wait", "--",
            *entrypoint,
        )  # fmt: skip

    def status(self, submission_id: str) -> str:
        """The job's status as ``ray job status`` words it (a sentence for terminal states)."""
        out = self.run("job", "status", "--address", self.address, submission_id, "--log-color=false")
        text = ANSI.sub("", out.stdout + out.stderr)
        terminal = re.findall(rf"Job '{submission_id}' (succeeded|failed|was stopped)", text)
        if terminal:
            return {"succeeded": "SUCCEEDED", "failed": "FAILED", "was stopped": "STOPPED"}[terminal[-1]]
        found = re.findall(r"Status for job '[^']+': (?:JobStatus\.)?(\w+)", text)
        return found[-1] if found else "UNKNOWN"

    def wait(self, submission_id: str, timeout: float, want: str = "SUCCEEDED") -> str:
        deadline = time.monotonic() + timeout
        status = self.status(submission_id)
        while status not in TERMINAL and time.monotonic() < deadline:
            time.sleep(2)
            status = self.status(submission_id)
        if status != want:
            logs = self.logs(submission_id)
            raise AssertionError(f"job {submission_id} is {status}, wanted {want}:\n{logs}")
        return status

    def logs(self, submission_id: str) -> str:
        return self.run("job", "logs", "--address", self.address, submission_id, check=False).stdout[-6000:]


def head_env(home: Path) -> dict[str, str]:
    """The environment of the head and of every CLI call: token auth, loopback, the venv's ``python``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAY_AUTH", "RAY_ADDRESS"))}
    venv_bin = str(Path(sys.executable).parent)  # ``ray job submit`` runs ``python`` from PATH
    env.update(
        HOME=str(home),
        PATH=f"{venv_bin}{os.pathsep}{env.get('PATH', '')}",
        RAY_AUTH_MODE="token",
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",  # node IP 127.0.0.1: every server on loopback
        RAY_USAGE_STATS_ENABLED="0",
        RAY_raylet_start_wait_time_s="180",  # the default 30 s is too short on a busy 2-core machine
        PYTHONPATH=str(REPO_ROOT),
    )
    return env


def head_processes(temp_dir: Path) -> list[Any]:
    """Live processes (psutil) of the head that uses ``temp_dir``: its path is in their command lines."""
    import psutil

    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        if proc.pid == os.getpid() or proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if any(str(temp_dir) in part for part in proc.info["cmdline"] or ()):
            found.append(proc)
    return found


def stop_head(temp_dir: Path, timeout: float = 20) -> None:
    """Stop the processes of the head that uses ``temp_dir``, and their children, by pid.

    Not ``ray stop``: it kills every Ray process on the machine, other people's included.
    """
    import psutil

    roots = head_processes(temp_dir)
    procs = {p.pid: p for p in roots}
    for proc in roots:
        with suppress(psutil.Error):
            procs.update({c.pid: c for c in proc.children(recursive=True)})
    for proc in procs.values():
        with suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(list(procs.values()), timeout=timeout)
    for proc in alive:
        with suppress(psutil.Error):
            proc.kill()


# Ray waits a fixed 30 s for a new raylet to register; a machine that other work keeps at a load of 50+
# can miss that once. Only this message is retried, after stopping what the first try left.
STARTUP_TIMEOUT = "timed out during startup"


def start_head_with_retry(head: RayHead, temp_dir: Path, args: list[str], tries: int = 2) -> None:
    for attempt in range(tries):
        out = head.run(*args, timeout=300, check=False)
        if out.returncode == 0:
            return
        if STARTUP_TIMEOUT not in out.stderr + out.stdout or attempt == tries - 1:
            raise AssertionError(f"ray start failed ({out.returncode}):\n{out.stderr[-3000:]}")
        stop_head(temp_dir)


@contextmanager
def ray_head(home: Path, num_cpus: int = 4) -> Iterator[RayHead]:
    temp_dir = Path(f"/tmp/ray-cluster-test-{uuid.uuid4().hex[:8]}")
    # RAY_TMPDIR: Ray's CLI keeps its own files (ray_current_cluster, client sessions) there too.
    head = RayHead({**head_env(home), "RAY_TMPDIR": str(temp_dir)}, temp_dir)
    try:
        # `ray start` with RAY_AUTH_MODE=token wants the token first; clients read it from the same HOME.
        head.run("get-auth-token", "--generate")
        start_head_with_retry(head, temp_dir, [
            "start", "--head", "--node-ip-address=127.0.0.1", "--dashboard-host=127.0.0.1",
            f"--num-cpus={num_cpus}", f"--temp-dir={temp_dir}", "--object-store-memory=536870912",
            "--disable-usage-stats", *HEAD_PORTS,
        ])  # fmt: skip
        yield head
    finally:
        stop_head(temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)


if __name__ == "__main__":  # `python cluster_support.py stop TEMP_DIR`: the `ray stop` of test_ray_up_local
    if sys.argv[1:2] != ["stop"] or len(sys.argv) != 3:
        sys.exit("usage: cluster_support.py stop TEMP_DIR")
    stop_head(Path(sys.argv[2]))
