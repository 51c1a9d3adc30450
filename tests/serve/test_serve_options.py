"""Deployment options: one dataclass for CLI, YAML and Serve; the API key from a file or the environment."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from learec.platform.common.fields import from_dict
from learec.platform.jobs import deploy
from learec.serve.app import BUILD_ARGS, build_app, read_api_key
from learec.serve.options import API_KEY_ENV, ServeConfig, deployment_options


def test_fixed_replicas_by_default() -> None:
    options = deployment_options(ServeConfig())
    assert options["num_replicas"] == 1 and "autoscaling_config" not in options
    assert options["ray_actor_options"] == {"num_cpus": 0.5}
    assert options["user_config"] == {"max_batch_size": 32, "batch_wait_timeout_s": 0.005}


def test_max_replicas_switches_autoscaling_on() -> None:
    cfg = from_dict(ServeConfig, {"min_replicas": 0, "max_replicas": "3", "target_ongoing_requests": 4})
    options = deployment_options(cfg)
    assert "num_replicas" not in options
    assert options["autoscaling_config"] == {
        "min_replicas": 0,
        "max_replicas": 3,
        "target_ongoing_requests": 4.0,
    }


def test_gpus_per_replica() -> None:
    options = deployment_options(ServeConfig(replica_cpus=1, replica_gpus=0.25))
    assert options["ray_actor_options"] == {"num_cpus": 1, "num_gpus": 0.25}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"port": 0}, "port must be in"),
        ({"port": 70000}, "port must be in"),
        ({"max_replicas": 0}, "max_replicas"),
        ({"min_replicas": 3, "max_replicas": 2}, "max_replicas"),
        ({"max_batch_size": 0}, "max_batch_size"),
        ({"batch_wait_timeout_s": -1}, "batch_wait_timeout_s"),
        ({"route_prefix": "api"}, "route_prefix"),
        ({"max_body_bytes": 10}, "max_body_bytes"),
        ({"throughput_mode": "fast"}, "throughput_mode"),
        ({"replicas": 2}, "unknown key replicas"),
    ],
)
def test_bad_options_name_the_field(values: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        from_dict(ServeConfig, values)


def test_api_key_from_file_env_or_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    assert read_api_key(None) is None
    monkeypatch.setenv(API_KEY_ENV, "from-env")
    assert read_api_key(None) == "from-env"
    key_file = tmp_path / "key"
    key_file.write_text("from-file\n")
    assert read_api_key(str(key_file)) == "from-file"
    assert deploy.resolve_api_key(ServeConfig(api_key_file=str(key_file))) == "from-file"
    with caplog.at_level(logging.WARNING):
        assert deploy.resolve_api_key(ServeConfig(), "from-flag") == "from-flag"
    assert "ps" in caplog.text
    key_file.write_text("  \n")
    with pytest.raises(ValueError, match="empty"):
        read_api_key(str(key_file))
    with pytest.raises(ValueError, match="cannot read"):
        read_api_key(str(tmp_path / "missing"))


def test_throughput_mode_is_on_only_for_loopback_by_default() -> None:
    assert deploy.throughput_env(ServeConfig()) == deploy.THROUGHPUT_ENV
    assert deploy.throughput_env(ServeConfig(host="0.0.0.0")) == {}
    assert deploy.throughput_env(ServeConfig(throughput_mode="off")) == {}


def test_build_app_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="policy_dir"):
        build_app({})
    with pytest.raises(ValueError, match="unknown argument 'api_key'"):
        build_app({"policy_dir": ".", "api_key": "x"})
    assert "policy_dir" in BUILD_ARGS
