"""The local Ray that learec starts listens on loopback only and keeps token authentication on, with and
without the Serve endpoint deployed on it."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support import REPO_ROOT, free_port

# Runs in a fresh interpreter: Ray reads its networking switches when it is first imported, and the
# session's Ray (and RAY_AUTH_MODE=disabled from conftest) must not leak into what is measured.
PROBE = textwrap.dedent(
    """
    import json, os, sys, psutil
    if len(sys.argv) > 1:
        import learec.serve.app  # imports Ray before init_ray sets its switches, as `learec serve` does
    from learec.platform.jobs.ray_runtime import init_ray
    ray = init_ray(num_cpus=2, object_store_mb=128)

    @ray.remote
    def pid():
        return os.getpid()

    ray.get([pid.remote() for _ in range(2)])  # start workers: they listen too
    if len(sys.argv) > 1:  # deploy the endpoint: proxy, controller and replica listen too
        from pathlib import Path
        from learec.platform.jobs import deploy
        from learec.serve.options import ServeConfig
        deploy.start(Path(sys.argv[1]), ServeConfig(port=int(sys.argv[2])))
    me = psutil.Process()
    sockets = []
    for proc in [me, *me.children(recursive=True)]:
        try:
            conns = proc.net_connections(kind="tcp")
            name = proc.name()
        except psutil.Error:
            continue
        sockets += [[c.laddr.ip, c.laddr.port, name] for c in conns if c.status == psutil.CONN_LISTEN]
    print("PROBE", json.dumps({
        "sockets": sockets,
        "auth_mode": os.environ.get("RAY_AUTH_MODE"),
        "node_ip": ray.util.get_node_ip_address(),
        "token_file": os.path.isfile(os.path.expanduser("~/.ray/auth_token")),
    }))
    ray.shutdown()
    """
)


def is_loopback(ip: str) -> bool:
    address = ipaddress.ip_address(ip.split("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


@pytest.mark.parametrize(
    ("ip", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("::ffff:127.0.0.1", True), ("0.0.0.0", False), ("::", False)],
)
def test_is_loopback(ip: str, loopback: bool) -> None:
    assert is_loopback(ip) is loopback


@pytest.mark.integration
@pytest.mark.parametrize("with_serve", [False, True], ids=["ray", "ray+serve"])
def test_local_ray_listens_on_loopback_only_with_token_auth(tmp_path: Path, with_serve: bool) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAY_AUTH", "RAY_ADDRESS", "RAY_SERVE"))}
    env.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)  # init_ray must set it itself
    env.update(HOME=str(tmp_path), PYTHONPATH=str(REPO_ROOT), RAY_USAGE_STATS_ENABLED="0")
    args = []
    if with_serve:
        from policies import make_policy

        from learec.platform.jobs.deploy import THROUGHPUT_ENV

        env.update(THROUGHPUT_ENV)  # learec serve's default on loopback
        args = [str(make_policy(tmp_path / "policy", seed=1)), str(free_port())]
    for _ in range(2):  # one retry when Ray's fixed 30 s raylet registration misses on a loaded machine
        out = subprocess.run(
            [sys.executable, "-c", PROBE, *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if "timed out during startup" not in out.stderr:
            break
    lines = [line for line in out.stdout.splitlines() if line.startswith("PROBE ")]
    assert out.returncode == 0 and lines, out.stderr[-3000:]
    probe = json.loads(lines[-1].removeprefix("PROBE "))
    names = {name for _, _, name in probe["sockets"]}
    assert {"gcs_server", "raylet"} <= names, probe["sockets"]  # the probe sees Ray's servers at all
    if with_serve:  # and the endpoint's processes
        assert any("Replica" in name or "ServeReplica" in name for name in names), probe["sockets"]
    exposed = [s for s in probe["sockets"] if not is_loopback(s[0])]
    assert exposed == [], f"listening beyond loopback: {exposed}"
    assert probe["node_ip"] == "127.0.0.1"
    assert probe["auth_mode"] == "token" and probe["token_file"]


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1:6379", True),
        ("localhost:6379", True),
        ("http://127.0.0.1:8265", True),
        ("http://[::1]:8265", True),
        ("10.0.0.5:6379", False),
        ("auto", False),
        ("ray://head.example.com:10001", False),
    ],
)
def test_loopback_addresses_are_recognised(address: str, loopback: bool) -> None:
    from learec.platform.jobs.ray_runtime import is_loopback_address

    assert is_loopback_address(address) is loopback


def test_raylet_notices_stay_off_stdout_other_pushed_messages_pass(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from ray._private import worker

    from learec.platform.jobs import ray_runtime

    original = worker.print_to_stdstream
    try:
        ray_runtime._drop_raylet_notices()
        ray_runtime._drop_raylet_notices()  # once only: a second call does not wrap the filter again
        notice = (
            "WARNING: 8 PYTHON worker processes have been started on node: abc with address: 127.0.0.1, "
            "which is 4x the maximum expected startup concurrency (2)."
        )
        killed = "Task was killed due to the node running low on memory."
        worker.print_to_stdstream({"lines": [notice], "pid": "raylet", "is_err": False}, ignore_prefix=False)
        worker.print_to_stdstream(
            {"lines": [notice, killed], "pid": "raylet", "is_err": False}, ignore_prefix=False
        )
    finally:
        worker.print_to_stdstream = original
    out = capsys.readouterr().out
    assert "PYTHON worker processes" not in out
    assert out.count("running low on memory") == 1
