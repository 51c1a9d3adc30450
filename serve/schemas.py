"""Request and response bodies of the recommendation endpoint.

Every limit a client controls is bounded here, so bad input is a 422 and never a 500 or a huge answer:
id length and count, batch size, ``k``; ids must be encodable text (no lone surrogates); numbers and
flags are strict (``"5"``, ``5.0`` or ``true`` are not a ``k``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

MAX_K = 1000
MAX_HISTORY = 1000
MAX_ID_CHARS = 256
MAX_BATCH = 256
# Unknown ids are reported as a bounded summary: a client never gets its input echoed back in full.
UNKNOWN_SHOWN = 10
UNKNOWN_CHARS = 64


def _encodable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("item ids must be valid Unicode text (no lone surrogates)") from None
    return value


ItemId = Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS), AfterValidator(_encodable)]
History = Annotated[
    list[ItemId],
    Field(
        max_length=MAX_HISTORY,
        description="raw item ids the user interacted with, oldest first (only the last state_len are used)",
    ),
]
K = Annotated[int, Field(ge=1, le=MAX_K, strict=True, description="how many items to return")]
ExcludeConsumed = Annotated[
    bool, Field(strict=True, description="never recommend items already in the history")
]


class RecommendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    history: History = Field(default_factory=list)
    k: K = 10
    exclude_consumed: ExcludeConsumed = True


class BatchRecommendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    histories: list[History] = Field(
        min_length=1, max_length=MAX_BATCH, description="one history per user; scored in one backbone pass"
    )
    k: K = 10
    exclude_consumed: ExcludeConsumed = True


class ScoredItem(BaseModel):
    item_id: str
    score: float


class Recommendation(BaseModel):
    items: list[ScoredItem] = Field(description="best first")
    fallback: bool = Field(
        description="true when no history id is known (empty or all unknown): the items are the policy's "
        "ranking for the empty state, the same for every such user"
    )
    unknown_count: int = Field(description="how many history ids the policy does not know (ignored)")
    unknown_items: list[str] = Field(
        description=f"the first {UNKNOWN_SHOWN} unknown ids, each cut to {UNKNOWN_CHARS} characters"
    )


class RecommendResponse(Recommendation):
    model: str = Field(description="algorithm/backbone of the served policy")


class BatchRecommendResponse(BaseModel):
    results: list[Recommendation] = Field(description="one per history, in request order")
    model: str


class ModelInfo(BaseModel):
    algorithm: str
    backbone: str
    n_items: int
    state_len: int
    data_fingerprint: str | None = Field(
        description="fingerprint of the training data recorded at export, when the export has one"
    )
    vocabulary_sha256: str = Field(description="sha256 of the item vocabulary (items.json)")
    weights_sha256: str
    created: str | None
    offline_metrics: dict[str, float | None] = Field(description="metrics recorded at export")


class Health(BaseModel):
    status: str
    model: str
    n_items: int


def unknown_summary(unknown: list[str]) -> tuple[int, list[str]]:
    """(count, first few ids cut short): what a response may say about ids the policy does not know."""
    return len(unknown), [u[:UNKNOWN_CHARS] for u in unknown[:UNKNOWN_SHOWN]]
