"""Serve an exported policy with Ray Serve: ``python -m learec.platform.jobs.deploy --policy DIR``.

Binds 127.0.0.1 by default; pass ``--host 0.0.0.0`` (and an API key) to expose it on a cluster.
Deploying again under the same application name (``start`` with another policy, or :func:`update`) is a
rolling update (tests/serve/test_serve_endpoint.py: no request fails during it).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from learec.serve.options import API_KEY_ENV, ServeConfig, deployment_options

log = logging.getLogger(__name__)

# Serve's throughput-optimized mode (Ray 2.60, ``serve/_private/constants.py``) minus the parts that
# listen beyond loopback: direct ingress (a second HTTP port per replica) and HAProxy (stats and metrics
# frontends on every interface). On top, the proxy reaches the replica over the replica's gRPC server
# instead of a Ray actor call: the fastest safe setting measured (BENCHMARKS.md "Serving"). That server
# exists in every mode; ``serve/loopback.py`` keeps it on 127.0.0.1 when the node is on loopback. gRPC
# between deployments stays off: learec has one deployment. Also kept from the mode: user code on the
# replica's loop, buffered request-path logs, the router on the proxy's loop, a frozen GC after start-up.
THROUGHPUT_ENV = {
    "RAY_SERVE_THROUGHPUT_OPTIMIZED": "1",
    "RAY_SERVE_PROXY_USE_GRPC": "1",
    "RAY_SERVE_USE_GRPC_BY_DEFAULT": "0",
    "RAY_SERVE_ENABLE_DIRECT_INGRESS": "0",
    "RAY_SERVE_ENABLE_HA_PROXY": "0",
}


def resolve_api_key(cfg: ServeConfig, api_key: str | None = None) -> str | None:
    """The key from ``--api-key`` (warned: it shows in ``ps``), else ``api_key_file``, else the env var."""
    from learec.serve.app import read_api_key

    if api_key:
        log.warning(
            "--api-key is visible to every user of this machine in `ps`; use --api-key-file or %s",
            API_KEY_ENV,
        )
        return api_key
    return read_api_key(cfg.api_key_file)


def throughput_env(cfg: ServeConfig) -> dict[str, str]:
    """Variables for the local Ray learec starts: the fast mode when ``throughput_mode`` asks for it."""
    on = cfg.throughput_mode == "on" or (cfg.throughput_mode == "auto" and cfg.loopback)
    return dict(THROUGHPUT_ENV) if on else {}


def start(policy_dir: Path, cfg: ServeConfig | None = None, api_key: str | None = None) -> str:
    """Deploy the policy on the connected Ray (start one with ``init_ray`` first); returns the base URL.

    A second call with the same ``cfg.app_name`` replaces the running policy without downtime.
    """
    from ray import serve

    from learec.serve.app import Recommender
    from learec.serve.policy import ExportedPolicy

    cfg = cfg or ServeConfig()
    policy_dir = Path(policy_dir).resolve()
    ExportedPolicy.load(policy_dir)  # fail here, with the loader's message, rather than inside a replica
    serve.start(http_options={"host": cfg.host, "port": cfg.port})
    app = Recommender.options(**deployment_options(cfg)).bind(
        str(policy_dir), api_key, None, cfg.max_body_bytes
    )
    serve.run(app, name=cfg.app_name, route_prefix=cfg.route_prefix)
    return f"http://{cfg.host}:{cfg.port}{cfg.route_prefix.rstrip('/')}"


update = start  # same call: Serve's rolling update does the rest


def stop() -> None:
    from ray import serve

    serve.shutdown()


def serve_forever(
    policy_dir: Path,
    cfg: ServeConfig,
    api_key: str | None = None,
    num_cpus: int | None = None,
    address: str | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Check the inputs, start Ray if needed, deploy, ``announce`` the URL, block until Ctrl-C or SIGTERM.

    On a cluster (an address, or ``RAY_ADDRESS`` as ``ray job submit`` sets it) the app belongs to the
    cluster's Serve: the job returns once the app is up, as ``serve deploy`` does, and ``serve shutdown``
    (or a redeploy under the same name) ends it.
    """
    from learec.platform.jobs.ray_runtime import init_ray, local_cores
    from learec.serve.policy import ExportedPolicy

    ExportedPolicy.load(policy_dir)  # a bad folder or key file fails before Ray starts
    key = resolve_api_key(cfg, api_key)
    if not cfg.loopback and key is None:
        log.warning("serving on %s without an API key: anyone who reaches the port can query it", cfg.host)
    if not address and not os.environ.get("RAY_ADDRESS"):
        for name, value in throughput_env(cfg).items():
            os.environ.setdefault(name, value)  # read by Serve's processes when Ray starts
    init_ray(num_cpus=num_cpus, address=address)
    if local_cores() is None:
        url = start(policy_dir, cfg, key)
        log.info("deployed %s on the cluster's Serve at %s (app %r)", policy_dir, url, cfg.app_name)
        return
    # A service manager stops us with SIGTERM: leave through ``finally`` so Serve shuts down cleanly.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    url = start(policy_dir, cfg, key)
    log.info(
        "serving %s at %s (POST /recommend, /recommend/batch; GET /v1/model, /healthz, /docs)",
        policy_dir,
        url,
    )
    try:
        while True:
            time.sleep(3600)
    finally:
        stop()


def main(argv: list[str] | None = None) -> Any:
    import argparse

    from learec.platform.jobs.config_file import build_config
    from learec.platform.jobs.job_args import user_errors

    parser = argparse.ArgumentParser(description="Serve an exported learec policy with Ray Serve.")
    parser.add_argument("--policy", type=Path, required=True, help="exported policy folder")
    parser.add_argument("--config", type=Path, default=None, help="YAML with ServeConfig fields")
    parser.add_argument("--address", default=None, help="Ray cluster address (default: local Ray)")
    parser.add_argument("overrides", nargs="*", help="key=value ServeConfig fields, e.g. port=8001")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    with user_errors(parser):
        bad = [o for o in args.overrides if "=" not in o]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a key=value override (e.g. port=8001)")
        pairs = dict(o.split("=", 1) for o in args.overrides)
        cfg = build_config(ServeConfig, args.config, pairs)
        serve_forever(args.policy, cfg, address=args.address)


if __name__ == "__main__":
    main()
