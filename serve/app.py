"""Ray Serve application: an exported policy behind ``POST /recommend`` and ``GET /healthz``.

Requests are batched across callers with ``@serve.batch`` (one backbone pass per batch). Validation is
pydantic's (422 with the field at fault); a wrong API key is a 401. Start it with ``learec serve --policy
DIR`` (binds 127.0.0.1 unless ``--host`` says otherwise) or ``serve run learec.serve.app:build_app
policy_dir=DIR``.

No ``from __future__ import annotations`` here: Serve's ingress re-wraps the methods and FastAPI must see
real types, or the request body is read as a query parameter.
"""

import hmac
import os
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import FastAPI, Header, HTTPException
from ray import serve

from learec.serve.schemas import Health, RecommendRequest, RecommendResponse, ScoredItem

app = FastAPI(title="learec", description="Recommendations from an offline-RL policy trained with learec.")
API_KEY_ENV = "LEAREC_API_KEY"


@serve.deployment(num_replicas=1, ray_actor_options={"num_cpus": 0.5}, max_ongoing_requests=64)
@serve.ingress(app)
class Recommender:
    def __init__(self, policy_dir: str, api_key: str | None = None) -> None:
        import torch

        from learec.serve.policy import ExportedPolicy

        torch.set_num_threads(1)
        self.policy = ExportedPolicy.load(Path(policy_dir))
        manifest = self.policy.manifest
        self.model = f"{manifest.get('algo', '?')}/{self.policy.config['backbone']['name']}"
        self.api_key = api_key or os.environ.get(API_KEY_ENV) or None

    def _check_key(self, key: str | None) -> None:
        if self.api_key is not None and not hmac.compare_digest(key or "", self.api_key):
            raise HTTPException(status_code=401, detail="missing or wrong x-api-key header")

    @serve.batch(max_batch_size=32, batch_wait_timeout_s=0.005)
    async def _scores(self, states: list[np.ndarray]) -> list[np.ndarray]:
        batch = np.stack(states)
        return list(self.policy.score(batch))

    @app.get("/healthz", response_model=Health)
    async def healthz(self) -> Health:
        return Health(status="ok", model=self.model, n_items=self.policy.n_items)

    @app.post("/recommend", response_model=RecommendResponse)
    async def recommend(
        self, request: RecommendRequest, x_api_key: str | None = Header(default=None)
    ) -> RecommendResponse:
        self._check_key(x_api_key)
        states, _, unknown = self.policy.encode([request.history])
        scores = await self._scores(states[0])
        ranked = self.policy.top_k(scores, request.history, request.k, request.exclude_consumed)
        items = [ScoredItem(item_id=raw_id, score=score) for raw_id, score in ranked]
        return RecommendResponse(items=items, unknown_items=unknown[0], model=self.model)


def build_app(args: dict[str, Any]) -> Any:
    """Entry point for ``serve run learec.serve.app:build_app policy_dir=...``."""
    if "policy_dir" not in args:
        raise ValueError("pass policy_dir=<exported policy folder>, e.g. runs/shop/models/<id>/policy")
    return Recommender.bind(str(Path(args["policy_dir"]).resolve()), args.get("api_key"))
