"""What the endpoint does, without any web or Serve code: histories in, ranked raw ids out.

The Serve replica (``app.py``) and the bare FastAPI app of ``benchmarks/serve_load.py`` both wrap this
class, so the benchmark measures Serve's overhead and nothing else.

Fallback: a history with no known id (empty, or every id unknown) is answered from the policy's
empty-state ranking (the state of only padding), computed once at start-up; the response says
``fallback: true``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from learec.rllib_algos.common.policy_format import WEIGHTS, PolicyFiles
from learec.serve.batching import AdaptiveBatcher
from learec.serve.options import BatchSettings
from learec.serve.policy import ExportedPolicy
from learec.serve.schemas import (
    BatchRecommendRequest,
    BatchRecommendResponse,
    Health,
    ModelInfo,
    Recommendation,
    RecommendRequest,
    RecommendResponse,
    ScoredItem,
    unknown_summary,
)


class RecommenderService:
    def __init__(self, policy_dir: Path | str, batch: BatchSettings | None = None) -> None:
        policy_dir = Path(policy_dir)
        self.policy = ExportedPolicy.load(policy_dir)
        self.model = f"{self.policy.manifest.get('algo', '?')}/{self.policy.config['backbone']['name']}"
        self.info = _model_info(self.policy, policy_dir)
        self.batcher = AdaptiveBatcher(self._score, batch)
        empty, _, _ = self.policy.encode([[]])
        self._empty_scores = self._score(empty)[0]

    def _score(self, states: np.ndarray) -> np.ndarray:
        return self.policy.score(states)

    def health(self) -> Health:
        return Health(status="ok", model=self.model, n_items=self.policy.n_items)

    async def recommend(self, request: RecommendRequest) -> RecommendResponse:
        states, lengths, unknown = self.policy.encode([request.history])
        if lengths[0] == 0:
            scores = self._empty_scores
        else:
            scores = await self.batcher.score_one(states[0])
        answer = self._answer(scores, request.history, unknown[0], lengths[0] == 0, request)
        return RecommendResponse(**answer.model_dump(), model=self.model)

    async def recommend_batch(self, request: BatchRecommendRequest) -> BatchRecommendResponse:
        states, lengths, unknown = self.policy.encode(request.histories)
        known = np.flatnonzero(lengths > 0)
        scores = np.broadcast_to(self._empty_scores, (len(request.histories), self.policy.n_items)).copy()
        if known.size:
            scores[known] = await self.batcher.score_many(states[known])
        results = [
            self._answer(scores[row], history, unknown[row], lengths[row] == 0, request)
            for row, history in enumerate(request.histories)
        ]
        return BatchRecommendResponse(results=results, model=self.model)

    def _answer(
        self,
        scores: np.ndarray,
        history: Sequence[str],
        unknown: list[str],
        fallback: bool,
        request: RecommendRequest | BatchRecommendRequest,
    ) -> Recommendation:
        ranked = self.policy.top_k(scores, history, request.k, request.exclude_consumed)
        count, shown = unknown_summary(unknown)
        return Recommendation(
            items=[ScoredItem(item_id=raw_id, score=score) for raw_id, score in ranked],
            fallback=bool(fallback),
            unknown_count=count,
            unknown_items=shown,
        )

    def close(self) -> None:
        self.batcher.close()


def _finite_or_none(value: object) -> float | None:
    """Metrics as JSON-safe numbers: NaN/inf (JSON has neither) and non-numbers become null."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _model_info(policy: ExportedPolicy, policy_dir: Path) -> ModelInfo:
    manifest = policy.manifest
    metrics = manifest.get("metrics") if isinstance(manifest.get("metrics"), dict) else {}
    fingerprint = manifest.get("data_fingerprint")
    return ModelInfo(
        algorithm=str(manifest.get("algo", "unknown")),
        backbone=str(policy.config["backbone"].get("name", "unknown")),
        n_items=policy.n_items,
        state_len=policy.state_len,
        data_fingerprint=str(fingerprint) if fingerprint is not None else None,
        vocabulary_sha256=hashlib.sha256(PolicyFiles(policy_dir).items.read_bytes()).hexdigest(),
        weights_sha256=str(manifest.get("sha256", {}).get(WEIGHTS, "")),
        created=str(manifest["created"]) if manifest.get("created") is not None else None,
        offline_metrics={str(k): _finite_or_none(v) for k, v in metrics.items()},
    )
