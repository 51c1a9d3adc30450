"""Start Ray sized for the machine it runs on (see notes on 2-core machines in RAY_NOTES.md)."""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import sys
from typing import Any

log = logging.getLogger(__name__)

# Logical CPUs to announce on a small machine: more than the physical cores, so that long-lived actors
# (learners, prelearners, actor pools, replicas) never reserve every CPU and starve Ray Data's read tasks.
MIN_LOGICAL_CPUS = 4
_local_cores: int | None = None  # set when init_ray starts a local cluster

# Ray 2.60 binds GCS, raylet, workers and agents to the node IP, and ``ray.init(_node_ip_address=
# "127.0.0.1")`` is rewritten to the machine's outward address (``resolve_ip_for_localhost``). Its
# single-machine mode (the one it uses on macOS and Windows) makes the node IP 127.0.0.1 instead, so every
# server listens on loopback only. Ray reads the switch once, when ``ray`` is first imported.
SINGLE_MACHINE_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
AUTH_MODE_ENV = "RAY_AUTH_MODE"


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


def local_ray_env() -> dict[str, str]:
    """Variables a Ray that learec starts on this machine needs: loopback only, token auth on.

    ``setdefault`` semantics: a user who set ``RAY_AUTH_MODE=disabled`` (tests do) or wants the node
    reachable (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=1``) keeps that choice.
    """
    return {SINGLE_MACHINE_ENV: "0", AUTH_MODE_ENV: "token"}


def _prepare_local_start() -> None:
    for key, value in local_ray_env().items():
        os.environ.setdefault(key, value)
    _apply_loopback_switch()
    _refresh_ray_auth_mode()


def _refresh_ray_auth_mode() -> None:
    """Make an already imported Ray see ``RAY_AUTH_MODE`` as set now.

    Ray caches its config (auth mode included) when ``ray._raylet`` is first used. If learec imported
    Ray before setting ``RAY_AUTH_MODE=token`` (the Serve path does), ``ray.init`` believes auth is off
    and writes no token, while the GCS it starts reads ``token`` from the environment, finds no
    ``~/.ray/auth_token`` and aborts ("Timed out waiting for file .../gcs_server_port"). Ray re-reads
    the variable the same way when it turns token auth on itself (``_enable_token_auth``).
    """
    if "ray._raylet" not in sys.modules:
        return  # Ray will read the environment when it is imported
    from ray._raylet import Config

    Config.initialize("")


def _apply_loopback_switch() -> None:
    """Make an already imported Ray see the single-machine switch as set now.

    Ray copies ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER`` into ``ray_constants.ENABLE_RAY_CLUSTER`` when it is
    first imported, and reads that attribute whenever it picks the node IP. A learec path that imported
    Ray before ``init_ray`` (Serve's does) would otherwise start a Ray on every interface.
    """
    constants = sys.modules.get("ray._private.ray_constants")
    if constants is not None and os.environ.get(SINGLE_MACHINE_ENV) == "0":
        constants.ENABLE_RAY_CLUSTER = False


def is_loopback_address(address: str) -> bool:
    """True for ``127.0.0.1:6379``, ``localhost:6379``, ``http://[::1]:8265`` and the like."""
    host = address.split("://", 1)[-1].rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def init_ray(
    num_cpus: int | None = None,
    address: str | None = None,
    runtime_env: dict[str, Any] | None = None,
    object_store_mb: int = 512,
) -> Any:
    """Connect to ``address`` (a running cluster, or ``auto``) or start a small local Ray.

    A local Ray is started explicitly (``address="local"``: it never joins a head that another process
    started on this machine), listens on 127.0.0.1 only and keeps Ray's token authentication on unless
    the user set ``RAY_AUTH_MODE`` (see SECURITY.md). On a cluster the caller's auth settings are kept.
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
    if not address:
        _prepare_local_start()
    elif is_loopback_address(address):
        # A head on loopback: without the switch Ray rewrites 127.0.0.1 to the outward IP and never connects.
        os.environ.setdefault(SINGLE_MACHINE_ENV, "0")
        _apply_loopback_switch()
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
        cpus = num_cpus or max(MIN_LOGICAL_CPUS, os.cpu_count() or 1)
        _local_cores = os.cpu_count() or 1
        log.info("starting local Ray with %d logical CPUs", cpus)
        ray.init(
            address="local",
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
    _drop_raylet_notices()


# Notices the raylet pushes to every driver that say nothing a user can act on. Ray prints pushed
# messages to stdout itself (``worker.listen_error_messages``), even with ``log_to_driver=False``.
RAYLET_NOTICES = re.compile(r"PYTHON worker processes have been started on node")


def _drop_raylet_notices() -> None:
    """Keep the known raylet notices above off stdout; every other pushed message (a worker killed for
    memory, a task that failed) is still printed, as Ray does."""
    from ray._private import worker

    original = worker.print_to_stdstream
    if getattr(original, "_learec_filter", False):
        return

    def print_unless_notice(data: dict[str, Any], ignore_prefix: bool) -> None:
        lines = [ln for ln in data.get("lines", []) if not RAYLET_NOTICES.search(str(ln))]
        if lines:
            original({**data, "lines": lines}, ignore_prefix)

    print_unless_notice._learec_filter = True  # type: ignore[attr-defined]
    worker.print_to_stdstream = print_unless_notice
