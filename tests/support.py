"""Helpers tests import by name (``from support import ...``); fixtures live in conftest.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def shared_data(name: str) -> Path:
    """Path of a dataset folder under ../shared/data, or skip the test when it is absent."""
    path = SHARED_DATA / name
    if not path.is_dir():
        pytest.skip(f"../shared/data/{name} is not present")
    return path


def learec(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the ``learec`` command line in a subprocess, as a user does (wide, colourless output)."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "learec.platform.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO_ROOT,
        env=env,
        timeout=timeout,
    )


# A `learec run` small enough for an integration test: tiny shop, tiny LE, a fraction of an epoch, one seed.
TINY_RUN: dict[str, object] = {
    "shop.n_items": 120,
    "shop.n_users": 80,
    "shop.n_sessions": 300,
    "le.item_token_epochs": 1,
    "le.steps": 20,
    "le.tiny_hidden": 32,
    "le.tiny_intermediate": 64,
    "le.heldout_pairs": 64,
    "train.epochs": 0.3,  # the length comes from the data: a few iterations
    "online.n_sessions": 30,
    "online.ope_sessions": 60,
    "experiment.seeds": "0",
}

SERVE_PORTS = range(18100, 18200)  # this project's loopback range for Serve tests


def free_port(ports: range = SERVE_PORTS) -> int:
    """The first port of ``ports`` that 127.0.0.1 can bind now."""
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports}")
