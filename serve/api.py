"""The HTTP API over a :class:`RecommenderService`: routes, the guard middleware and error bodies.

Used by the Serve replica (``app.py``) and, unchanged, by the bare uvicorn app of the load benchmark.
Validation errors are 422s that name the field and never echo the input (FastAPI's default body echoes
it, and a NaN or a lone surrogate in that echo made the error itself a 500).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from learec.serve.guard import Guard
from learec.serve.schemas import (
    BatchRecommendRequest,
    BatchRecommendResponse,
    Health,
    ModelInfo,
    RecommendRequest,
    RecommendResponse,
)
from learec.serve.service import RecommenderService

ERRORS_SHOWN = 5
LOC_CHARS = 64
MSG_CHARS = 200

DESCRIPTION = """Recommendations from an offline-RL policy trained with learec.

Send `x-api-key` when the server has a key (everything but `/healthz` and the docs needs it).
A history with no known item id gets the policy's empty-state ranking and `fallback: true`.
"""


def _safe(part: Any, limit: int = LOC_CHARS) -> str | int:
    """Short, encodable text (a client chooses unknown key names, and messages may quote them)."""
    if isinstance(part, int):
        return part
    return str(part)[:limit].encode("utf-8", "backslashreplace").decode("utf-8")


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [
        {
            "loc": [_safe(p) for p in e.get("loc", ())],
            "msg": _safe(e.get("msg", "invalid"), MSG_CHARS),
            "type": _safe(e.get("type", "")),
        }
        for e in errors[:ERRORS_SHOWN]
    ]
    if len(errors) > ERRORS_SHOWN:
        detail.append({"loc": [], "msg": f"... and {len(errors) - ERRORS_SHOWN} more errors", "type": ""})
    return JSONResponse(status_code=422, content={"detail": detail or "invalid request"})


def create_api(service: RecommenderService, api_key: str | None, max_body_bytes: int) -> FastAPI:
    api = FastAPI(title="learec", description=DESCRIPTION)
    api.add_exception_handler(RequestValidationError, _validation_error)
    api.add_middleware(Guard, api_key=api_key, max_body_bytes=max_body_bytes)

    @api.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        return service.health()

    @api.get("/v1/model", response_model=ModelInfo)
    async def model() -> ModelInfo:
        """The served policy's manifest: algorithm, backbone, items, data fingerprint, offline metrics."""
        return service.info

    @api.post("/recommend", response_model=RecommendResponse)
    async def recommend(request: RecommendRequest) -> RecommendResponse:
        """Top-k items for one history (requests from many callers share a backbone pass)."""
        return await service.recommend(request)

    @api.post("/recommend/batch", response_model=BatchRecommendResponse)
    async def recommend_batch(request: BatchRecommendRequest) -> BatchRecommendResponse:
        """Top-k items for many histories in one backbone pass."""
        return await service.recommend_batch(request)

    return api
