"""Shared fixtures. Environment first: Ray must see these variables before it is imported anywhere."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
# Ray reads its single-machine switch at import (test modules import Ray before the fixture runs): keep
# the session's Ray on 127.0.0.1, as init_ray does for a fresh process (see jobs/ray_runtime.py).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# RLlib and Ray write under ~ (ray_results, .ray); keep the real home clean.
os.environ["HOME"] = tempfile.mkdtemp(prefix="learec-home-")

import pytest  # noqa: E402
from support import REPO_ROOT  # noqa: E402


@pytest.fixture(scope="session")
def ray_cluster():
    """One local Ray instance for the whole test session (starting Ray costs ~5 s)."""
    import ray

    from learec.platform.jobs.ray_runtime import init_ray

    init_ray(num_cpus=4, runtime_env={"env_vars": {"PYTHONPATH": str(REPO_ROOT)}})
    yield ray
    try:
        from ray import serve

        serve.shutdown()
    except Exception:  # noqa: BLE001 - Serve may never have started
        pass
    ray.shutdown()
