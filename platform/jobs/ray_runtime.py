"""Start Ray sized for the machine it runs on (see notes on 2-core machines in RAY_NOTES.md)."""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger(__name__)

# Logical CPUs to announce on a small machine: more than the physical cores, so that long-lived actors
# (learners, prelearners, actor pools, replicas) never reserve every CPU and starve Ray Data's read tasks.
MIN_LOGICAL_CPUS = 4
_local_cores: int | None = None  # set when init_ray starts a local cluster


def default_env() -> dict[str, str]:
    """Variables every learec process and Ray worker should have."""
    return {
        "RAY_USAGE_STATS_ENABLED": "0",
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # transformers' per-load bars would flood job logs
        "TRANSFORMERS_VERBOSITY": "error",
        "OMP_NUM_THREADS": "1",
    }


def apply_default_env() -> None:
    """Set :func:`default_env` in this process (except the thread cap: the driver may use every core)."""
    for key, value in default_env().items():
        if key != "OMP_NUM_THREADS":
            os.environ.setdefault(key, value)


def init_ray(
    num_cpus: int | None = None,
    address: str | None = None,
    runtime_env: dict[str, Any] | None = None,
    object_store_mb: int = 512,
) -> Any:
    """Connect to ``address`` (a running cluster, or ``auto``) or start a small local Ray.

    Locally, Ray's token auth is switched off unless the user set ``RAY_AUTH_MODE``: the local cluster
    lives only for this process. On a real cluster the caller's auth settings are kept.
    """
    apply_default_env()
    if not os.environ.get("LEAREC_DEBUG"):
        # Ray's C++ core prints lines to the driver's stderr that say nothing to a user (e.g. actor
        # "constructor arguments in the object store and max_restarts > 0" for every labeling actor,
        # at ERROR level): fewer with the level raised, the rest filtered out below Python.
        os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "error")
        from learec.platform.jobs import native_log_filter

        native_log_filter.install()
    address = address or os.environ.get("RAY_ADDRESS")
    import ray

    global _local_cores
    if ray.is_initialized():
        return ray
    env = {"env_vars": dict(default_env())}
    if runtime_env:
        env_vars = {**env["env_vars"], **runtime_env.get("env_vars", {})}
        env = {**env, **runtime_env, "env_vars": env_vars}
    if address:
        log.info("connecting to Ray at %s", address)
        _local_cores = None
        ray.init(address=address, runtime_env=env, log_to_driver=False, configure_logging=False)
    else:
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        cpus = num_cpus or max(MIN_LOGICAL_CPUS, os.cpu_count() or 1)
        _local_cores = os.cpu_count() or 1
        log.info("starting local Ray with %d logical CPUs", cpus)
        ray.init(
            num_cpus=cpus,
            include_dashboard=False,
            object_store_memory=object_store_mb * 2**20,
            log_to_driver=False,
            configure_logging=False,
            runtime_env=env,
        )
    import ray.data

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = bool(os.environ.get("LEAREC_PROGRESS"))
    # Batches in file order whatever task finishes first: training at a seed then sees the same batches
    # in every run (a rerun after a kill reproduces the figures of an uninterrupted run).
    context.execution_options.preserve_order = True
    quiet_ray_logs()
    return ray


def local_cores() -> int | None:
    """The machine's cores when this process started a local Ray (which announces more logical CPUs than
    that), else None: on a real cluster the announced CPUs are the cores."""
    return _local_cores


def quiet_ray_logs() -> None:
    """Keep Ray's INFO chatter (execution plans, API-stack notices) off the user's terminal.

    ``LEAREC_DEBUG=1`` (set by ``learec --debug``) keeps everything.
    """
    if os.environ.get("LEAREC_DEBUG"):
        return
    for name in ("ray", "ray.data", "ray.rllib", "ray.tune", "ray.serve"):
        logging.getLogger(name).setLevel(logging.ERROR)
