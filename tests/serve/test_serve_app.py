"""The Ray Serve endpoint on loopback: answers, batching, 4xx (never 5xx) for bad input, API key."""

from __future__ import annotations

import concurrent.futures
import socket
from pathlib import Path

import httpx
import numpy as np
import pytest
from reference.tiny_transitions import N_ITEMS, STATE_LEN

from learec.rllib_algos.backbones.registry import BackboneConfig
from learec.rllib_algos.common.export import export_policy
from learec.rllib_algos.common.offline_input import spaces
from learec.rllib_algos.registry import config_class
from learec.serve.policy import ExportedPolicy

RAW_IDS = [f"sku-{i}" for i in range(N_ITEMS)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    obs, act = spaces(N_ITEMS, STATE_LEN)
    cfg = config_class("ce")().training(backbone=BackboneConfig(hidden=16, dropout=0.0))
    cfg = cfg.environment(observation_space=obs, action_space=act).debugging(seed=1)
    learner = cfg.build_learner(spaces={"default_policy": (obs, act)})
    module = learner.module["default_policy"].eval()
    return export_policy(module, tmp_path_factory.mktemp("serve") / "policy", RAW_IDS, {"algo": "ce"})


@pytest.fixture(scope="module")
def server(ray_cluster, policy_dir: Path):
    from learec.platform.jobs import deploy

    url = deploy.start(policy_dir, port=_free_port(), api_key="secret")
    yield url
    deploy.stop()


def _post(url: str, body: object, key: str | None = "secret") -> httpx.Response:
    headers = {"x-api-key": key} if key else {}
    return httpx.post(f"{url}/recommend", json=body, headers=headers, timeout=30)


@pytest.mark.integration
def test_recommend_matches_the_exported_policy(server: str, policy_dir: Path) -> None:
    assert httpx.get(f"{server}/healthz", timeout=30).json()["n_items"] == N_ITEMS
    history = ["sku-3", "unknown-item", "sku-7"]
    res = _post(server, {"history": history, "k": 5})
    assert res.status_code == 200, res.text
    body = res.json()
    expected = ExportedPolicy.load(policy_dir).recommend([history], 5)[0]
    assert [i["item_id"] for i in body["items"]] == [r for r, _ in expected]
    np.testing.assert_allclose([i["score"] for i in body["items"]], [s for _, s in expected], rtol=1e-5)
    assert body["unknown_items"] == ["unknown-item"]
    assert not {"sku-3", "sku-7"} & {i["item_id"] for i in body["items"]}


@pytest.mark.integration
def test_concurrent_requests_are_answered(server: str) -> None:
    bodies = [{"history": [f"sku-{i % N_ITEMS}"], "k": 3} for i in range(24)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = [r.status_code for r in pool.map(lambda b: _post(server, b), bodies)]
    assert codes == [200] * len(bodies)


@pytest.mark.integration
@pytest.mark.parametrize(
    "body",
    [
        {"history": "sku-1"},
        {"history": [], "k": 0},
        {"history": [], "k": 10**6},
        {"history": [1, 2]},
        {"history": [], "surprise": 1},
        "not json",
    ],
)
def test_bad_input_is_a_4xx_with_a_reason(server: str, body: object) -> None:
    if body == "not json":
        res = httpx.post(
            f"{server}/recommend",
            content=b"{oops",
            headers={"x-api-key": "secret", "content-type": "application/json"},
            timeout=30,
        )
    else:
        res = _post(server, body)
    assert 400 <= res.status_code < 500, res.text
    assert res.json()["detail"]


@pytest.mark.integration
def test_api_key_is_required(server: str) -> None:
    assert _post(server, {"history": []}, key=None).status_code == 401
    assert _post(server, {"history": []}, key="wrong").status_code == 401
