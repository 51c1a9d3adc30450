"""Serve an exported policy with Ray Serve: ``python -m learec.platform.jobs.deploy --policy DIR``.

Binds 127.0.0.1 by default; pass ``--host 0.0.0.0`` (and an API key) to expose it on a cluster.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

APP_NAME = "learec"


def start(policy_dir: Path, host: str = "127.0.0.1", port: int = 8000, api_key: str | None = None) -> str:
    """Deploy the policy on the connected Ray (start one with ``init_ray`` first); returns the base URL."""
    from ray import serve

    from learec.serve.app import Recommender
    from learec.serve.policy import ExportedPolicy

    policy_dir = Path(policy_dir).resolve()
    ExportedPolicy.load(policy_dir)  # fail here, with the loader's message, rather than inside a replica
    serve.start(http_options={"host": host, "port": port})
    serve.run(Recommender.bind(str(policy_dir), api_key), name=APP_NAME, route_prefix="/")
    return f"http://{host}:{port}"


def stop() -> None:
    from ray import serve

    serve.shutdown()


def serve_forever(
    policy_dir: Path,
    host: str,
    port: int,
    api_key: str | None,
    num_cpus: int | None = None,
    address: str | None = None,
) -> None:
    """Start Ray if needed, deploy, and block until Ctrl-C.

    On a cluster (an address, or ``RAY_ADDRESS`` as ``ray job submit`` sets it) the app belongs to the
    cluster's Serve: the job returns once the app is up, as ``serve deploy`` does, and ``serve shutdown``
    (or a redeploy under the same name) ends it.
    """
    from learec.platform.jobs.ray_runtime import init_ray, local_cores

    init_ray(num_cpus=num_cpus, address=address)
    if local_cores() is None:
        url = start(policy_dir, host, port, api_key)
        log.info("deployed %s on the cluster's Serve at %s (app %r)", policy_dir, url, APP_NAME)
        return
    # A service manager stops us with SIGTERM: leave through ``finally`` so Serve shuts down cleanly.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    url = start(policy_dir, host, port, api_key)
    log.info("serving %s at %s (POST /recommend, GET /healthz, docs at /docs)", policy_dir, url)
    try:
        while True:
            time.sleep(3600)
    finally:
        stop()


def main(argv: list[str] | None = None) -> Any:
    import argparse

    parser = argparse.ArgumentParser(description="Serve an exported learec policy with Ray Serve.")
    parser.add_argument("--policy", type=Path, required=True, help="exported policy folder")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port")
    parser.add_argument("--api-key", default=None, help="require this x-api-key header")
    parser.add_argument("--address", default=None, help="Ray cluster address (default: local Ray)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    serve_forever(args.policy, args.host, args.port, args.api_key, address=args.address)


if __name__ == "__main__":
    main()
