"""cluster.yaml must pass the same checks `ray up` runs (schema + prepare/validate), offline."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from support import REPO_ROOT


def _schema() -> dict:
    import ray.autoscaler

    return json.loads((Path(ray.autoscaler.__file__).parent / "ray-schema.json").read_text())


def test_cluster_yaml_passes_ray_schema_and_validation() -> None:
    cfg = yaml.safe_load((REPO_ROOT / "cluster.yaml").read_text())
    errors = list(jsonschema.Draft7Validator(_schema()).iter_errors(cfg))
    assert errors == [], [e.message for e in errors]
    from ray.autoscaler._private.util import prepare_config, validate_config

    validate_config(prepare_config(copy.deepcopy(cfg)))
    workers = cfg["available_node_types"]["gpu_worker"]
    assert workers["min_workers"] == 0 and workers["max_workers"] <= cfg["max_workers"]


def test_schema_check_catches_typos() -> None:
    cfg = yaml.safe_load((REPO_ROOT / "cluster.yaml").read_text())
    cfg["max_workers"] = "four"
    cfg["min_wokers"] = 1
    errors = list(jsonschema.Draft7Validator(_schema()).iter_errors(cfg))
    assert len(errors) == 2
    with pytest.raises(Exception):  # noqa: B017 - Ray raises its own ValidationError type
        from ray.autoscaler._private.util import validate_config

        validate_config(cfg)
