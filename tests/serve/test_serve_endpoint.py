"""Ray Serve endpoint on loopback: round trip, hardening over real HTTP, policy update without downtime."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from support import free_port

from learec.serve.options import ServeConfig
from learec.serve.policy import ExportedPolicy

KEY = "secret"
AUTH = {"x-api-key": KEY}


@pytest.fixture(scope="module")
def served(ray_cluster, policy_dir: Path):
    from learec.platform.jobs import deploy

    cfg = ServeConfig(port=free_port(), app_name="learec-test")
    url = deploy.start(policy_dir, cfg, api_key=KEY)
    yield url, cfg
    deploy.stop()


@pytest.mark.integration
def test_endpoints_answer_over_serve(served: tuple[str, ServeConfig], policy_dir: Path) -> None:
    url, _ = served
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/healthz").json()["status"] == "ok"
        assert client.get("/docs").status_code == 200
        one = client.post("/recommend", json={"history": ["sku-3", "nope"], "k": 5}, headers=AUTH).json()
        assert len(one["items"]) == 5 and one["unknown_count"] == 1 and one["fallback"] is False
        batch = client.post("/recommend/batch", json={"histories": [["sku-3"], []], "k": 2}, headers=AUTH)
        assert [r["fallback"] for r in batch.json()["results"]] == [False, True]
        assert client.get("/v1/model", headers=AUTH).json()["algorithm"] == "ce"
        # Hardening holds behind Serve's proxy too.
        assert client.post("/recommend", json={"history": "x"}).status_code == 401
        nan = client.post(
            "/recommend",
            content=b'{"history": [], "k": NaN}',
            headers={**AUTH, "content-type": "application/json"},
        )
        assert nan.status_code == 422
        big = client.post("/recommend", content=b"[" * 2_000_000, headers=AUTH)
        assert big.status_code == 413


@pytest.mark.integration
def test_policy_update_under_load_fails_no_request(
    served: tuple[str, ServeConfig], policy_dir: Path, other_policy_dir: Path
) -> None:
    from learec.platform.jobs import deploy

    url, cfg = served
    before = httpx.get(f"{url}/v1/model", headers=AUTH, timeout=30).json()["weights_sha256"]
    stop = threading.Event()
    outcomes: list[int | str] = []

    def load() -> None:
        deadline = time.monotonic() + 180  # bounded even if the update hangs
        with httpx.Client(base_url=url, timeout=30) as client:
            while not stop.is_set() and time.monotonic() < deadline and len(outcomes) < 20_000:
                try:
                    res = client.post(
                        "/recommend", json={"history": ["sku-1", "sku-2"], "k": 3}, headers=AUTH
                    )
                    outcomes.append(res.status_code)
                except httpx.HTTPError as exc:
                    outcomes.append(type(exc).__name__)

    thread = threading.Thread(target=load)
    thread.start()
    try:
        time.sleep(1.0)
        deploy.update(other_policy_dir, cfg, api_key=KEY)
        time.sleep(1.0)
    finally:
        stop.set()
        thread.join()
    failed = [o for o in outcomes if o != 200]
    assert outcomes and not failed, f"{len(failed)} of {len(outcomes)} failed: {failed[:5]}"
    after = httpx.get(f"{url}/v1/model", headers=AUTH, timeout=30).json()
    assert after["weights_sha256"] != before and after["offline_metrics"] == {"ndcg@10": 0.5}
    history = ["sku-1", "sku-2"]
    answer = httpx.post(f"{url}/recommend", json={"history": history, "k": 5}, headers=AUTH, timeout=30)
    expected = ExportedPolicy.load(other_policy_dir).recommend([history], 5)[0]
    assert [i["item_id"] for i in answer.json()["items"]] == [r for r, _ in expected]
