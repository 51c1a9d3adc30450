"""``ray up`` / ``ray submit`` / ``ray down`` for real with cluster-local.yaml (Ray's on-premise provider,
head 127.0.0.1).

Why not ``fake_multinode``: in Ray 2.60 its ``prepare_config`` opens
``ray/autoscaler/_private/fake_multi_node/example.yaml``, which the wheel does not ship, so ``ray up``
stops with FileNotFoundError before it starts anything.

The launcher reaches the head over SSH as it would any on-premise node. No SSH port is opened: the
client's ProxyCommand runs ``sshd -i`` (inetd mode) on a private config, with a key made for the test.
``ray down`` runs ``ray stop`` on the head, which would stop every Ray process on this shared machine, so
the head's PATH has a ``ray`` that turns ``stop`` into stopping this head's own processes by pid.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from cluster_support import STARTUP_TIMEOUT, head_processes, ray_cli, stop_head
from support import REPO_ROOT

pytestmark = pytest.mark.integration

SSHD = Path("/usr/sbin/sshd")


def _require_ssh_login() -> None:
    missing = [tool for tool in ("ssh", "rsync") if shutil.which(tool) is None]
    if not SSHD.exists():
        missing.append("sshd")
    if missing:
        pytest.skip(f"ray up reaches nodes over SSH: install {', '.join(missing)} (openssh-server, rsync)")
    if os.geteuid() != 0:
        pytest.skip("sshd in inetd mode needs root here (privilege separation)")
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation folder


def _ssh_setup(root: Path, env: dict[str, str]) -> dict[str, str]:
    """A key pair, a host key and an sshd config whose sessions get ``env``; returns the auth section."""
    for name in ("host_key", "id_test"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / name)], check=True)
    shutil.copy(root / "id_test.pub", root / "authorized_keys")
    set_env = " ".join(f"{k}={v}" for k, v in env.items())
    (root / "sshd_config").write_text(
        f"HostKey {root / 'host_key'}\nAuthorizedKeysFile {root / 'authorized_keys'}\nStrictModes no\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        f"PermitRootLogin prohibit-password\nPidFile none\nSetEnv {set_env}\n"
    )
    return {
        "ssh_user": getpass.getuser(),
        "ssh_private_key": str(root / "id_test"),
        "ssh_proxy_command": f"{SSHD} -i -f {root / 'sshd_config'}",
    }


def _ray_wrapper(bin_dir: Path, temp_dir: str) -> None:
    bin_dir.mkdir()
    stop = f"{sys.executable} {REPO_ROOT / 'tests' / 'cluster_support.py'} stop {temp_dir}"
    (bin_dir / "ray").write_text(
        "#!/bin/sh\n# `ray stop` stops only this cluster's head (see the test's docstring).\n"
        f'if [ "$1" = "stop" ]; then exec {stop}; fi\n'
        f'exec {sys.executable} -m ray.scripts.scripts "$@"\n'
    )
    (bin_dir / "ray").chmod(0o755)


def test_ray_up_submit_down_on_one_machine(tmp_path: Path) -> None:
    _require_ssh_login()
    cfg = yaml.safe_load((REPO_ROOT / "cluster-local.yaml").read_text())
    start = " ".join(cfg["head_start_ray_commands"])
    temp_dir = re.search(r"--temp-dir=(\S+)", start).group(1)
    gcs = "127.0.0.1:" + re.search(r"--port=(\d+)", start).group(1)
    _ray_wrapper(tmp_path / "bin", temp_dir)
    head_home = tmp_path / "head-home"
    head_home.mkdir()
    path = os.pathsep.join([str(tmp_path / "bin"), str(Path(sys.executable).parent), "/usr/bin", "/bin"])
    session_env = {
        "HOME": str(head_home),
        "PATH": path,
        "PYTHONPATH": str(REPO_ROOT),
        "RAY_AUTH_MODE": "token",  # what a client on the head needs to talk to the token-auth cluster
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_raylet_start_wait_time_s": "180",
    }
    cfg["auth"] = _ssh_setup(tmp_path, session_env)
    # The launcher runs `bash --login`, whose /etc/profile resets PATH, then sources ~/.bashrc.
    (head_home / ".bashrc").write_text("".join(f"export {k}={v}\n" for k, v in session_env.items()))
    cluster_file = tmp_path / "cluster-local.yaml"
    cluster_file.write_text(yaml.safe_dump(cfg))
    client_env = {**os.environ, "HOME": str(tmp_path), "PATH": path}
    client_env.pop("RAY_ADDRESS", None)
    name = ["--cluster-name", f"learec-local-{os.getpid()}"]

    def ray(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        out = subprocess.run(
            ray_cli(*args), env=client_env, cwd=tmp_path, capture_output=True, text=True, timeout=timeout
        )
        assert out.returncode == 0, f"ray {args[0]} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
        return out

    probe = tmp_path / "probe.json"
    try:
        try:
            ray("up", "-y", "--no-config-cache", *name, str(cluster_file))
        except AssertionError as err:  # see cluster_support.STARTUP_TIMEOUT
            if STARTUP_TIMEOUT not in str(err):
                raise
            stop_head(Path(temp_dir))
            ray("up", "-y", "--no-config-cache", *name, str(cluster_file))
        script = REPO_ROOT / "tests" / "integration" / "ray_submit_probe.py"
        ray("submit", *name, str(cluster_file), str(script), "--address", gcs, "--out", str(probe))
        result = json.loads(probe.read_text())
        assert result["squares"] == [i * i for i in range(8)]
        assert result["task_ips"] == ["127.0.0.1"] and result["nodes"] == 1 and result["cpus"] == 2
        assert result["auth_mode"] == "token"
        ray("down", "-y", *name, str(cluster_file))
        deadline = time.monotonic() + 30  # processes exit a little after `ray stop` returns
        while head_processes(Path(temp_dir)) and time.monotonic() < deadline:
            time.sleep(1)
        leftover = [(p.pid, p.name(), " ".join(p.cmdline())[:200]) for p in head_processes(Path(temp_dir))]
        assert leftover == [], f"ray down left the head running: {leftover}"
    finally:
        stop_head(Path(temp_dir))
        from ray.autoscaler._private.local.config import get_lock_path, get_state_path

        for path in (get_lock_path(name[1]), get_state_path(name[1])):  # the local provider's node list
            Path(path).unlink(missing_ok=True)
