"""Deployment options of the recommendation endpoint: one dataclass read by the CLI, YAML and Serve.

``learec serve --help`` lists every field as ``--<field>``; ``learec serve --config serve.yaml`` reads the
same names from a ``serve:`` section. :func:`deployment_options` turns the config into the keyword
arguments of ``Deployment.options`` (the same keys a Serve config file's ``deployments:`` entry takes).
No torch or Ray import here: the CLI builds its options from this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from learec.platform.common.fields import Checked, field_help, opt

APP_NAME = "learec"
DEPLOYMENT_NAME = "Recommender"
API_KEY_ENV = "LEAREC_API_KEY"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class BatchSettings(Checked):
    """How requests are grouped into backbone passes (a Serve ``user_config``: changes need no restart)."""

    max_batch_size: int = opt(32, "most single requests scored in one backbone pass", ge=1, le=1024)
    batch_wait_timeout_s: float = opt(
        0.005,
        "under load, how long a batch waits to fill up; a request that finds no other one queued is "
        "scored at once",
        ge=0,
        le=1,
    )


@dataclass(frozen=True)
class ServeConfig(Checked):
    host: str = opt("127.0.0.1", "address the HTTP proxy binds; 127.0.0.1 keeps it on this machine")
    port: int = opt(8000, "HTTP port of the proxy", ge=1, le=65535)
    app_name: str = opt(APP_NAME, "Serve application name; deploying again under it replaces the policy")
    route_prefix: str = opt("/", "URL prefix of the endpoint")
    num_replicas: int = opt(1, "fixed number of replicas (ignored when max_replicas is set)", ge=1)
    min_replicas: int = opt(1, "autoscaling: fewest replicas", ge=0)
    max_replicas: int | None = opt(None, "autoscaling: most replicas; set it to switch autoscaling on", ge=1)
    target_ongoing_requests: float = opt(8.0, "autoscaling: ongoing requests per replica to aim for", gt=0)
    max_ongoing_requests: int = opt(64, "requests one replica accepts at once; more queue in the proxy", ge=1)
    replica_cpus: float = opt(0.5, "CPUs reserved per replica (fractions are fine)", ge=0)
    replica_gpus: float = opt(0.0, "GPUs reserved per replica (0: score on CPU)", ge=0)
    max_batch_size: int = opt(32, field_help(BatchSettings, "max_batch_size"), ge=1, le=1024)
    batch_wait_timeout_s: float = opt(0.005, field_help(BatchSettings, "batch_wait_timeout_s"), ge=0, le=1)
    max_body_bytes: int = opt(
        1_048_576, "largest request body accepted; larger ones get a 413", ge=1024, le=64 * 2**20
    )
    api_key_file: str | None = opt(
        None, f"file holding the API key clients send as x-api-key (or set {API_KEY_ENV})"
    )
    log_encoding: Literal["JSON", "TEXT"] = opt("JSON", "format of the replica and access logs")
    throughput_mode: Literal["auto", "on", "off"] = opt(
        "auto",
        "Ray Serve's throughput-optimized mode for a local Ray that learec starts; auto: on when the "
        "host is loopback (it is set before Ray starts, so it does not apply to --address clusters)",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.route_prefix.startswith("/"):
            raise ValueError(f"route_prefix must start with '/', got {self.route_prefix!r}")
        if self.max_replicas is not None and self.max_replicas < max(1, self.min_replicas):
            raise ValueError(
                f"max_replicas ({self.max_replicas}) must be >= max(1, min_replicas={self.min_replicas})"
            )

    @property
    def batch(self) -> BatchSettings:
        return BatchSettings(self.max_batch_size, self.batch_wait_timeout_s)

    @property
    def loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS


def deployment_options(cfg: ServeConfig) -> dict[str, Any]:
    """``Deployment.options`` keyword arguments: replicas or autoscaling, resources, batching, logs."""
    actor: dict[str, Any] = {"num_cpus": cfg.replica_cpus}
    if cfg.replica_gpus:
        actor["num_gpus"] = cfg.replica_gpus
    options: dict[str, Any] = {
        "max_ongoing_requests": cfg.max_ongoing_requests,
        "ray_actor_options": actor,
        "user_config": {
            "max_batch_size": cfg.max_batch_size,
            "batch_wait_timeout_s": cfg.batch_wait_timeout_s,
        },
        "logging_config": {"encoding": cfg.log_encoding, "enable_access_log": True},
    }
    if cfg.max_replicas is not None:
        options["autoscaling_config"] = {
            "min_replicas": cfg.min_replicas,
            "max_replicas": cfg.max_replicas,
            "target_ongoing_requests": cfg.target_ongoing_requests,
        }
    else:
        options["num_replicas"] = cfg.num_replicas
    return options
