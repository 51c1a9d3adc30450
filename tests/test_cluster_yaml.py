"""Cluster files pass the checks `ray up` runs (schema + prepare/validate), offline; the KubeRay RayJob
names entry points, options and settings that exist and agree with cluster.yaml."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from support import REPO_ROOT

CLUSTER_FILES = ["cluster.yaml", "cluster-local.yaml"]


def _schema() -> dict:
    import ray.autoscaler

    return json.loads((Path(ray.autoscaler.__file__).parent / "ray-schema.json").read_text())


def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / name).read_text())


def _ray_checks(cfg: dict[str, Any]) -> None:
    """Ray's own schema, then what `ray up` runs before it touches a provider."""
    from ray.autoscaler._private.util import prepare_config, validate_config

    errors = list(jsonschema.Draft7Validator(_schema()).iter_errors(cfg))
    if errors:
        raise jsonschema.ValidationError("; ".join(e.message for e in errors))
    validate_config(prepare_config(copy.deepcopy(cfg)))


@pytest.mark.parametrize("name", CLUSTER_FILES)
def test_cluster_file_passes_ray_schema_and_validation(name: str) -> None:
    _ray_checks(_load(name))


def test_cluster_yaml_scales_gpu_workers_from_zero() -> None:
    cfg = _load("cluster.yaml")
    workers = cfg["available_node_types"]["gpu_worker"]
    assert workers["min_workers"] == 0 and workers["max_workers"] <= cfg["max_workers"]


def _set(cfg: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        cfg = cfg[key]
    cfg[last] = value


@pytest.mark.parametrize(
    ("dotted", "value", "named"),
    [
        ("max_workers", "four", "'four' is not of type 'integer'"),
        ("min_wokers", 1, "'min_wokers' was unexpected"),  # a typo of a key
        ("provider.type", "awz", "Unsupported node provider: awz"),  # only prepare_config sees this one
        ("available_node_types.gpu_worker.min_workers", 9, "smaller than the sum of `min_workers`"),
        ("available_node_types.gpu_worker.node_confg", {}, "'node_confg' was unexpected"),
    ],
)
def test_a_broken_copy_fails_naming_the_key(dotted: str, value: Any, named: str) -> None:
    cfg = copy.deepcopy(_load("cluster.yaml"))
    _set(cfg, dotted, value)
    with pytest.raises(Exception, match=re.escape(named)):  # noqa: B017 - Ray raises several types
        _ray_checks(cfg)


# KubeRay ------------------------------------------------------------------------------------------------
def _rayjob_docs() -> dict[str, dict[str, Any]]:
    docs = list(yaml.safe_load_all((REPO_ROOT / "k8s" / "rayjob-pipeline.yaml").read_text()))
    return {doc["kind"]: doc for doc in docs}


def _containers(rayjob: dict[str, Any]) -> list[dict[str, Any]]:
    cluster = rayjob["spec"]["rayClusterSpec"]
    groups = [cluster["headGroupSpec"], *cluster["workerGroupSpecs"]]
    return [c for g in groups for c in g["template"]["spec"]["containers"]]


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def test_rayjob_entry_point_and_options_exist(tmp_path: Path) -> None:
    from learec.platform.jobs.config import RunConfig
    from learec.platform.jobs.config_file import build_config
    from learec.platform.jobs.pipeline import main  # noqa: F401 - the entry point is a real job module

    docs = _rayjob_docs()
    rayjob = docs["RayJob"]
    assert rayjob["apiVersion"] == "ray.io/v1"
    argv = shlex.split(rayjob["spec"]["entrypoint"])
    assert argv[:3] == ["python", "-m", "learec.platform.jobs.pipeline"]
    assert importlib.util.find_spec(argv[2]) is not None
    # The job's own parser accepts the options; the mounted run config holds only known keys.
    from learec.platform.jobs.job_args import job_parser

    args = job_parser("check").parse_args(argv[3:])
    config_map = docs["ConfigMap"]
    mount = {m["mountPath"]: m["name"] for m in _containers(rayjob)[0]["volumeMounts"]}
    assert mount[str(args.config.parent)] == "run-config"
    run_yaml = tmp_path / args.config.name
    run_yaml.write_text(config_map["data"][args.config.name])
    cfg = build_config(RunConfig, run_yaml, {o.split("=")[0]: o.split("=", 1)[1] for o in args.overrides})
    assert not Path(cfg.runs_dir).is_absolute()  # resolved against LEAREC_RUNS_DIR, the shared volume


def test_rayjob_agrees_with_cluster_yaml_and_the_package() -> None:
    rayjob = _rayjob_docs()["RayJob"]
    cluster = rayjob["spec"]["rayClusterSpec"]
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    (ray_pin,) = re.findall(r'"ray\[[^\]]*\]==([\d.]+)"', pyproject)
    assert cluster["rayVersion"] == ray_pin
    assert f"rayproject/ray:{ray_pin}-" in (REPO_ROOT / "k8s" / "Dockerfile").read_text()
    # Same shape as cluster.yaml: GPU workers scale 0..max_workers.
    launcher = _load("cluster.yaml")["available_node_types"]["gpu_worker"]
    (gpu,) = cluster["workerGroupSpecs"]
    assert (gpu["minReplicas"], gpu["maxReplicas"]) == (launcher["min_workers"], launcher["max_workers"])
    assert gpu["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1
    # Same setup: the image runs cluster.yaml's setup commands (project install, model fetch).
    dockerfile = (REPO_ROOT / "k8s" / "Dockerfile").read_text()
    for command in _load("cluster.yaml")["setup_commands"]:
        words = command.replace("~/learec", "/home/ray/learec").split("--cache-dir")[0].split("||")[0]
        assert words.strip().removeprefix("cd /home/ray/learec && ") in dockerfile, command


def test_rayjob_keeps_token_auth_and_shared_runs_on_every_pod() -> None:
    rayjob = _rayjob_docs()["RayJob"]
    submitter = rayjob["spec"]["submitterPodTemplate"]["spec"]["containers"]
    for container in [*_containers(rayjob), *submitter]:
        env = _env(container)
        assert env["RAY_AUTH_MODE"] == "token", container["name"]
        assert env["RAY_AUTH_TOKEN"]["secretKeyRef"]["name"] == "learec-ray-token", container["name"]
    claim = _rayjob_docs()["PersistentVolumeClaim"]
    assert "ReadWriteMany" in claim["spec"]["accessModes"]
    for container in _containers(rayjob):
        runs = _env(container)["LEAREC_RUNS_DIR"]
        assert runs in {m["mountPath"] for m in container["volumeMounts"]}, container["name"]


@pytest.mark.parametrize("name", CLUSTER_FILES)
def test_every_ray_start_keeps_token_auth(name: str) -> None:
    cfg = _load(name)
    commands = cfg["head_start_ray_commands"] + cfg["worker_start_ray_commands"]
    starts = [c for c in commands if "ray start" in c]
    assert starts and all("RAY_AUTH_MODE=token" in c for c in starts), starts
    assert not any(c.strip() == "ray stop" for c in cfg["head_start_ray_commands"]) or name == "cluster.yaml"
    if name == "cluster.yaml":  # every node gets the token the user generated
        assert cfg["file_mounts"]["~/.ray/auth_token"] == "~/.ray/auth_token"
