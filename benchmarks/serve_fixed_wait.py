"""The step before load-adaptive batching, for ``serve_load.py``: Ray's ``@serve.batch`` with a fixed wait.

``python benchmarks/serve_fixed_wait.py POLICY_DIR PORT`` serves the same API and service as learec's
deployment, except that single requests go through ``@serve.batch(max_batch_size=32,
batch_wait_timeout_s=0.005)``, which waits for every batch (the endpoint before issue 16). The deployment
is defined in ``__main__`` so Ray ships it by value (this folder is not on the replicas' path).
"""

from __future__ import annotations

import signal
import sys
import time
from typing import Any

import numpy as np
from ray import serve


class FixedWaitScorer:
    """Stands in for :class:`learec.serve.batching.AdaptiveBatcher` (same ``score_one``/``score_many``)."""

    def __init__(self, policy: Any) -> None:
        self._policy = policy

    @serve.batch(max_batch_size=32, batch_wait_timeout_s=0.005)
    async def score_one(self, states: list[np.ndarray]) -> list[np.ndarray]:
        return list(self._policy.score(np.stack(states)))

    async def score_many(self, states: np.ndarray) -> np.ndarray:
        return self._policy.score(states)

    def close(self) -> None:
        pass


@serve.deployment(name="Recommender", num_replicas=1, ray_actor_options={"num_cpus": 0.5})
@serve.ingress()
class FixedWaitRecommender:
    def __init__(self, policy_dir: str) -> None:
        import torch

        from learec.serve.service import RecommenderService

        torch.set_num_threads(1)
        self.service = RecommenderService(policy_dir)
        self.service.batcher = FixedWaitScorer(self.service.policy)  # the only difference

    def __serve_build_asgi_app__(self) -> Any:
        from learec.serve.api import create_api

        return create_api(self.service, None, 1 << 20)


def main() -> None:
    from learec.platform.jobs.ray_runtime import init_ray

    policy, port = sys.argv[1], int(sys.argv[2])
    init_ray()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    serve.run(FixedWaitRecommender.bind(policy), name="learec", route_prefix="/")
    try:
        while True:
            time.sleep(3600)
    finally:
        serve.shutdown()


if __name__ == "__main__":
    main()
