"""Request and response bodies of the recommendation endpoint (validated by pydantic: bad input is a 422)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MAX_K = 1000
MAX_HISTORY = 1000


class RecommendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    history: list[str] = Field(
        default_factory=list,
        max_length=MAX_HISTORY,
        description="raw item ids the user interacted with, oldest first (only the last state_len are used)",
    )
    k: int = Field(10, ge=1, le=MAX_K, description="how many items to return")
    exclude_consumed: bool = Field(True, description="never recommend items already in the history")


class ScoredItem(BaseModel):
    item_id: str
    score: float


class RecommendResponse(BaseModel):
    items: list[ScoredItem]
    unknown_items: list[str] = Field(
        default_factory=list, description="history ids the policy does not know; they were ignored"
    )
    model: str = Field(description="algorithm and backbone of the served policy")


class Health(BaseModel):
    status: str
    model: str
    n_items: int
