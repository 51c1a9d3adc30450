"""The endpoint's HTTP API without Ray: answers, fallback, batch, manifest, and a 4xx for every bad input."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from reference.tiny_transitions import N_ITEMS

from learec.serve.api import create_api
from learec.serve.policy import ExportedPolicy
from learec.serve.schemas import MAX_BATCH, MAX_HISTORY, MAX_ID_CHARS, UNKNOWN_CHARS, UNKNOWN_SHOWN
from learec.serve.service import RecommenderService

KEY = "secret"
AUTH = {"x-api-key": KEY}
MAX_BODY = 64 * 1024


@pytest.fixture(scope="module")
def client(policy_dir: Path):
    service = RecommenderService(policy_dir)
    with TestClient(create_api(service, KEY, MAX_BODY), raise_server_exceptions=False) as c:
        yield c
    service.close()


def _raw(client: TestClient, body: bytes, headers: dict | None = None, path: str = "/recommend"):
    return client.post(
        path,
        content=body,
        headers={"content-type": "application/json", **(AUTH if headers is None else headers)},
    )


def test_recommend_matches_the_exported_policy(client: TestClient, policy_dir: Path) -> None:
    history = ["sku-3", "unknown-item", "sku-7"]
    res = client.post("/recommend", json={"history": history, "k": 5}, headers=AUTH)
    assert res.status_code == 200, res.text
    body = res.json()
    expected = ExportedPolicy.load(policy_dir).recommend([history], 5)[0]
    assert [i["item_id"] for i in body["items"]] == [r for r, _ in expected]
    np.testing.assert_allclose([i["score"] for i in body["items"]], [s for _, s in expected], rtol=1e-5)
    assert body["unknown_items"] == ["unknown-item"] and body["unknown_count"] == 1
    assert body["fallback"] is False and body["model"] == "ce/gru4rec"


@pytest.mark.parametrize("history", [[], ["nope"], ["nope", "also-not"]])
def test_no_known_item_gets_the_empty_state_ranking(
    client: TestClient, policy_dir: Path, history: list[str]
) -> None:
    body = client.post("/recommend", json={"history": history, "k": 4}, headers=AUTH).json()
    empty = ExportedPolicy.load(policy_dir).recommend([[]], 4)[0]
    assert body["fallback"] is True
    assert [i["item_id"] for i in body["items"]] == [r for r, _ in empty]


def test_batch_equals_single_requests(client: TestClient) -> None:
    histories = [["sku-1", "sku-2"], [], ["unknown"], ["sku-5"] * 12]
    res = client.post("/recommend/batch", json={"histories": histories, "k": 3}, headers=AUTH)
    assert res.status_code == 200, res.text
    batch = res.json()["results"]
    singles = [client.post("/recommend", json={"history": h, "k": 3}, headers=AUTH).json() for h in histories]
    assert len(batch) == len(histories)
    for one, single in zip(batch, singles, strict=True):
        assert [i["item_id"] for i in one["items"]] == [i["item_id"] for i in single["items"]]
        scores = [[i["score"] for i in r["items"]] for r in (one, single)]
        np.testing.assert_allclose(*scores, rtol=1e-5)  # batch size changes float summation order
        assert one["fallback"] == single["fallback"]


def test_unknown_ids_are_summarised_not_echoed(client: TestClient) -> None:
    history = [f"{'u' * 200}-{i}" for i in range(50)]
    body = client.post("/recommend", json={"history": history}, headers=AUTH).json()
    assert body["unknown_count"] == 50 and body["fallback"] is True
    assert len(body["unknown_items"]) == UNKNOWN_SHOWN
    assert all(len(u) <= UNKNOWN_CHARS for u in body["unknown_items"])


def test_model_manifest(client: TestClient, policy_dir: Path) -> None:
    info = client.get("/v1/model", headers=AUTH).json()
    assert info["algorithm"] == "ce" and info["backbone"] == "gru4rec"
    assert info["n_items"] == N_ITEMS and info["offline_metrics"] == {"ndcg@10": 0.25}
    manifest = json.loads((policy_dir / "manifest.json").read_text())
    assert info["weights_sha256"] == manifest["sha256"]["policy.safetensors"]
    assert len(info["vocabulary_sha256"]) == 64
    assert client.get("/v1/model").status_code == 401


def test_health_and_docs_need_no_key(client: TestClient) -> None:
    assert client.get("/healthz").json()["n_items"] == N_ITEMS
    assert client.get("/docs").status_code == 200
    assert "/recommend/batch" in client.get("/openapi.json").json()["paths"]


NOT_JSON = b"{oops"
# (name, raw body): every one must be a 4xx with a reason, never a 500, and never echo the input.
MALFORMED: list[tuple[str, bytes]] = [
    ("history is a string", b'{"history": "sku-1"}'),
    ("history of numbers", b'{"history": [1, 2]}'),
    ("history of objects", b'{"history": [{"a": 1}]}'),
    ("history null", b'{"history": null}'),
    ("k zero", b'{"history": [], "k": 0}'),
    ("k huge", b'{"history": [], "k": 1000000}'),
    ("k huge int beyond int64", b'{"history": [], "k": 123456789012345678901234567890}'),
    ("k with 5000 digits", b'{"history": [], "k": 1' + b"9" * 5000 + b"}"),
    ("k NaN", b'{"history": [], "k": NaN}'),
    ("k Infinity", b'{"history": [], "k": Infinity}'),
    ("k negative infinity", b'{"history": [], "k": -Infinity}'),
    ("k float", b'{"history": [], "k": 5.0}'),
    ("k string", b'{"history": [], "k": "5"}'),
    ("k bool", b'{"history": [], "k": true}'),
    ("exclude_consumed string", b'{"history": [], "exclude_consumed": "yes"}'),
    ("exclude_consumed number", b'{"history": [], "exclude_consumed": 1}'),
    ("unknown key", b'{"history": [], "surprise": 1}'),
    ("unknown key with a lone surrogate", b'{"history": [], "\\ud800x": 1}'),
    ("lone surrogate id", b'{"history": ["\\ud800"]}'),
    ("low surrogate id", b'{"history": ["a\\udfffb"]}'),
    ("invalid UTF-8 bytes", b'{"history": ["\xff\xfe"]}'),
    ("empty id", b'{"history": [""]}'),
    ("id too long", json.dumps({"history": ["x" * (MAX_ID_CHARS + 1)]}).encode()),
    ("history too long", json.dumps({"history": ["sku-1"] * (MAX_HISTORY + 1)}).encode()),
    ("not JSON", NOT_JSON),
    ("empty body", b""),
    ("JSON array", b"[]"),
    ("JSON string", b'"history"'),
    ("deeply nested", b'{"history": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
    ("body over the cap", json.dumps({"history": ["sku-1"] * 20000}).encode()),
]
MALFORMED_BATCH: list[tuple[str, bytes]] = [
    ("no histories", b'{"histories": []}'),
    ("histories not lists", b'{"histories": ["sku-1"]}'),
    ("too many histories", json.dumps({"histories": [[]] * (MAX_BATCH + 1)}).encode()),
    ("history key in a batch", b'{"history": []}'),
    ("NaN k", b'{"histories": [[]], "k": NaN}'),
    ("surrogate id", b'{"histories": [["\\udc00"]]}'),
]


@pytest.mark.parametrize(
    ("path", "body"),
    [("/recommend", b) for _, b in MALFORMED] + [("/recommend/batch", b) for _, b in MALFORMED_BATCH],
    ids=[n for n, _ in MALFORMED] + [f"batch: {n}" for n, _ in MALFORMED_BATCH],
)
def test_malformed_requests_get_a_4xx_with_a_reason(client: TestClient, path: str, body: bytes) -> None:
    res = _raw(client, body, path=path)
    assert 400 <= res.status_code < 500, (res.status_code, res.text[:300])
    assert res.json()["detail"]
    assert len(res.content) < 4096  # a bounded summary, whatever the input size
    assert "sku-1" not in res.text and "xxxxxxxxxx" not in res.text


@pytest.mark.parametrize(("name", "body"), MALFORMED[:8] + MALFORMED[-3:])
def test_unauthenticated_requests_get_401_before_validation(
    client: TestClient, name: str, body: bytes
) -> None:
    for headers in (
        {},
        {"x-api-key": "wrong"},
        {"x-api-key": "s\u00e9cret".encode()},
        {"x-api-key": b"\xff"},
    ):
        res = _raw(client, body, headers=headers)
        assert res.status_code == 401, (name, headers, res.text)
        assert res.json() == {"detail": "missing or wrong x-api-key header"}


def test_body_cap_holds_without_content_length(client: TestClient) -> None:
    def chunks():
        for _ in range(MAX_BODY // 1024 + 2):
            yield b" " * 1024

    res = client.post("/recommend", content=chunks(), headers={**AUTH, "content-type": "application/json"})
    assert res.status_code == 413


def test_non_ascii_header_values_are_not_a_500(client: TestClient) -> None:
    res = client.post(
        "/recommend",
        content=b'{"history": []}',
        headers={**AUTH, "content-type": "application/json", "x-note": "\u00fc".encode(), "accept": b"\xff"},
    )
    assert res.status_code == 200


def test_access_log_has_latency(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="ray.serve.learec.access"):
        client.post("/recommend", json={"history": ["sku-1"]}, headers=AUTH)
    records = [r for r in caplog.records if r.name == "ray.serve.learec.access"]
    assert records and records[-1].status == 200 and records[-1].path == "/recommend"
    assert records[-1].latency_ms > 0
