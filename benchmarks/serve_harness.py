"""Shared parts of the Serve benchmarks: a policy to serve, servers in subprocesses, a bounded load, RSS.

Everything listens on 127.0.0.1 only. Servers run in their own processes because Serve's mode switches
are environment variables read when Ray starts.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def export_benchmark_policy(out: Path, n_items: int = 400, hidden: int = 64, state_len: int = 10) -> Path:
    """An untrained CE GRU4Rec policy of the shop's size (latency does not depend on the weights)."""
    from learec.rllib_algos.backbones.registry import BackboneConfig
    from learec.rllib_algos.common.export import export_policy
    from learec.rllib_algos.common.offline_input import spaces
    from learec.rllib_algos.registry import config_class

    if (out / "manifest.json").is_file():
        return out
    obs, act = spaces(n_items, state_len)
    cfg = config_class("ce")().training(backbone=BackboneConfig(hidden=hidden, dropout=0.0))
    cfg = cfg.environment(observation_space=obs, action_space=act).debugging(seed=0)
    module = cfg.build_learner(spaces={"default_policy": (obs, act)}).module["default_policy"].eval()
    return export_policy(module, out, [f"sku-{i:04d}" for i in range(n_items)], {"algo": "ce"})


class Server:
    """A server subprocess; ``stop`` sends SIGTERM to it (and only it) and waits."""

    def __init__(self, argv: list[str], env: dict[str, str], url: str, log: Path) -> None:
        self.url = url
        self.ready_s: float | None = None
        self._log = log.open("w")
        full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(argv, env=full_env, stdout=self._log, stderr=subprocess.STDOUT, cwd=REPO)

    def wait_ready(self, timeout_s: float = 180) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self._log.name}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{self.url} not ready after {timeout_s} s; see {self._log.name}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def serve_server(policy: Path, port: int, log: Path, env: dict[str, str], **options: Any) -> Server:
    overrides = [f"port={port}", *(f"{k}={v}" for k, v in options.items())]
    argv = [PYTHON, "-m", "learec.platform.jobs.deploy", "--policy", str(policy), *overrides]
    return Server(argv, env, f"http://127.0.0.1:{port}", log)


def bare_server(policy: Path, port: int, log: Path) -> Server:
    argv = [PYTHON, str(Path(__file__).with_name("serve_bare.py")), str(policy), str(port)]
    return Server(argv, {"OMP_NUM_THREADS": "1"}, f"http://127.0.0.1:{port}", log)


def fixed_wait_server(policy: Path, port: int, log: Path, env: dict[str, str]) -> Server:
    argv = [PYTHON, str(Path(__file__).with_name("serve_fixed_wait.py")), str(policy), str(port)]
    return Server(argv, env, f"http://127.0.0.1:{port}", log)


def random_body(rng: random.Random, n_items: int = 400) -> dict[str, Any]:
    history = [f"sku-{rng.randrange(n_items):04d}" for _ in range(rng.randint(1, 10))]
    return {"history": history, "k": 10}


async def _load(
    url: str, bodies: list[Any], concurrency: int, deadline_s: float, headers: dict[str, str]
) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    queue = list(reversed(bodies))
    stop_at = time.monotonic() + deadline_s
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        while queue and time.monotonic() < stop_at:
            body = queue.pop()
            started = time.perf_counter()
            try:
                if isinstance(body, bytes):
                    res = await client.post("/recommend", content=body, headers=headers)
                else:
                    res = await client.post("/recommend", json=body, headers=headers)
                key = str(res.status_code)
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[key] = statuses.get(key, 0) + 1

    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "wall_s": round(wall, 3),
        "rps": round(len(latencies) / wall, 1) if wall else None,
        "p50_ms": round(statistics.median(ordered), 2) if ordered else None,
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2) if ordered else None,
        "statuses": statuses,
    }


def run_load(
    url: str, bodies: list[Any], concurrency: int, deadline_s: float, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """Send ``bodies`` to ``url/recommend`` from ``concurrency`` workers, stopping at ``deadline_s``."""
    return asyncio.run(_load(url, bodies, concurrency, deadline_s, headers or {}))


def _children(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def serve_rss_mb(server: Server) -> dict[str, float]:
    """RSS (MB) of the Serve proxy and replica processes under ``server`` (bare: the server itself)."""
    found: dict[str, float] = {}
    for proc in [psutil.Process(server.proc.pid), *_children(server.proc.pid)]:
        try:
            title = " ".join(proc.cmdline())
            rss = proc.memory_info().rss / 2**20
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        for role, marker in (("proxy", "ProxyActor"), ("replica", "ServeReplica"), ("bare", "serve_bare.py")):
            if marker in title:
                found[role] = round(found.get(role, 0.0) + rss, 1)
    return found


def sample_rss(server: Server, every_s: float, until: Callable[[], bool]) -> list[dict[str, float]]:
    """RSS samples every ``every_s`` seconds until ``until()``; run it on a thread beside the load."""
    samples = []
    started = time.monotonic()
    while not until():
        samples.append({"t_s": round(time.monotonic() - started, 1), **serve_rss_mb(server)})
        time.sleep(every_s)
    return samples
