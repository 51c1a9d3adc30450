"""Every shipped Serve config file and the KubeRay manifest name entry points and options that exist."""

from __future__ import annotations

import importlib

import pytest
import yaml
from support import REPO_ROOT

from learec.platform.common.fields import from_dict
from learec.serve.options import BatchSettings

CONFIGS = sorted((REPO_ROOT / "serve" / "configs").glob("*.yaml"))
RAYSERVICE = REPO_ROOT / "serve" / "k8s" / "rayservice.yaml"


def _serve_configs() -> list[tuple[str, dict]]:
    found = [(p.name, yaml.safe_load(p.read_text())) for p in CONFIGS]
    manifest = yaml.safe_load(RAYSERVICE.read_text())
    found.append((RAYSERVICE.name, yaml.safe_load(manifest["spec"]["serveConfigV2"])))
    return found


def test_configs_are_shipped() -> None:
    assert {p.name for p in CONFIGS} >= {"local.yaml", "autoscaling.yaml"}


@pytest.mark.parametrize(("name", "config"), _serve_configs(), ids=[n for n, _ in _serve_configs()])
def test_serve_config_names_real_entry_points_and_options(name: str, config: dict) -> None:
    from ray.serve.schema import ServeDeploySchema

    ServeDeploySchema.model_validate(config)  # what `serve deploy` / KubeRay check first
    for app in config["applications"]:
        module_name, _, attr = app["import_path"].partition(":")
        module = importlib.import_module(module_name)
        build = getattr(module, attr)
        assert callable(build), app["import_path"]
        assert set(app["args"]) <= set(module.BUILD_ARGS), f"{name}: unknown build_app args"
        assert "policy_dir" in app["args"]
        deployments = {module.Recommender.name}
        for dep in app["deployments"]:
            assert dep["name"] in deployments, f"{name}: no deployment {dep['name']!r}"
            from_dict(BatchSettings, dep.get("user_config", {}), where=f"{name}: user_config")


def test_local_config_stays_on_loopback() -> None:
    config = yaml.safe_load((REPO_ROOT / "serve" / "configs" / "local.yaml").read_text())
    assert config["http_options"]["host"] == "127.0.0.1"


def test_rayservice_matches_this_ray_and_keeps_the_key_in_a_secret() -> None:
    import ray

    manifest = yaml.safe_load(RAYSERVICE.read_text())
    assert manifest["kind"] == "RayService" and manifest["apiVersion"] == "ray.io/v1"
    cluster = manifest["spec"]["rayClusterConfig"]
    assert cluster["rayVersion"] == ray.__version__
    groups = [cluster["headGroupSpec"], *cluster["workerGroupSpecs"]]
    images = {c["image"] for g in groups for c in g["template"]["spec"]["containers"]}
    assert len(images) == 1 and ray.__version__ in images.pop()
    for group in groups:
        for container in group["template"]["spec"]["containers"]:
            env = {e["name"]: e for e in container.get("env", [])}
            assert "secretKeyRef" in env["LEAREC_API_KEY"]["valueFrom"]
    # Same install as cluster.yaml's setup_commands.
    cluster_yaml = yaml.safe_load((REPO_ROOT / "cluster.yaml").read_text())
    assert any("pip install -e ~/learec" in c for c in cluster_yaml["setup_commands"])
    assert "pip install -e ~/learec" in RAYSERVICE.read_text()
