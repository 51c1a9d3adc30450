"""What ``ray submit <cluster file> ray_submit_probe.py`` runs on the head: connect, run tasks, report.

Writes JSON to ``--out``: the cluster's nodes and CPUs, where the tasks ran, and the auth mode.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from learec.platform.common import atomic
from learec.platform.jobs.ray_runtime import init_ray


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True, help="GCS address of the head, host:port")
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    args = parser.parse_args()
    ray = init_ray(address=args.address)

    @ray.remote(num_cpus=0.5)
    def square(x: int) -> tuple[int, str]:
        return x * x, ray.util.get_node_ip_address()

    results = ray.get([square.remote(i) for i in range(8)])
    atomic.write_json(
        {
            "squares": [r for r, _ in results],
            "task_ips": sorted({ip for _, ip in results}),
            "nodes": len([n for n in ray.nodes() if n["Alive"]]),
            "cpus": ray.cluster_resources().get("CPU", 0),
            "auth_mode": os.environ.get("RAY_AUTH_MODE"),
        },
        args.out,
    )
    ray.shutdown()


if __name__ == "__main__":
    main()
