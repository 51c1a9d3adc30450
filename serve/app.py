"""Ray Serve application: the API of ``api.py`` on one or more replicas.

Start it with ``learec serve --policy DIR`` (options in ``serve/options.py``), with a Serve config file
(``serve run serve/configs/local.yaml``, ``serve deploy ...``) or ``serve run learec.serve.app:build_app
policy_dir=DIR``. Batching limits are the deployment's ``user_config``, so changing them reconfigures the
running replicas instead of replacing them. The API key comes from ``api_key_file``, the
``LEAREC_API_KEY`` variable of the replica, or (tests, ``learec serve``) the constructor.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ray import serve

from learec.platform.common.fields import from_dict
from learec.serve.options import API_KEY_ENV, DEPLOYMENT_NAME, BatchSettings, ServeConfig

# Arguments ``build_app`` accepts (``args:`` of a Serve config file, ``key=value`` of ``serve run``).
BUILD_ARGS = ("policy_dir", "api_key_file", "max_body_bytes")


def read_api_key(api_key_file: str | os.PathLike[str] | None) -> str | None:
    """The key in ``api_key_file`` (surrounding whitespace dropped), else ``$LEAREC_API_KEY``, else None."""
    if api_key_file:
        path = Path(api_key_file).expanduser()
        try:
            key = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(
                f"{path}: cannot read the API key file ({exc.__class__.__name__}); give a readable file "
                f"holding the key, or set {API_KEY_ENV}"
            ) from None
        if not key:
            raise ValueError(f"{path}: the API key file is empty")
        return key
    return os.environ.get(API_KEY_ENV) or None


@serve.deployment(name=DEPLOYMENT_NAME, num_replicas=1, ray_actor_options={"num_cpus": 0.5})
@serve.ingress()
class Recommender:
    def __init__(
        self,
        policy_dir: str,
        api_key: str | None = None,
        api_key_file: str | None = None,
        max_body_bytes: int = ServeConfig.max_body_bytes,
    ) -> None:
        import torch

        from learec.serve.loopback import bind_replica_grpc_to_loopback
        from learec.serve.service import RecommenderService

        bind_replica_grpc_to_loopback()  # before Serve starts the replica's internal gRPC server
        torch.set_num_threads(1)
        self.service = RecommenderService(policy_dir)
        self.api_key = api_key or read_api_key(api_key_file)
        self.max_body_bytes = int(max_body_bytes)

    def reconfigure(self, user_config: dict[str, Any]) -> None:
        """Serve calls this with the deployment's ``user_config`` (batching limits) at start and on change."""
        self.service.batcher.reconfigure(from_dict(BatchSettings, user_config, where="user_config"))

    def __serve_build_asgi_app__(self) -> Any:
        from learec.serve.api import create_api

        return create_api(self.service, self.api_key, self.max_body_bytes)


def build_app(args: dict[str, Any]) -> Any:
    """Entry point for Serve config files and ``serve run learec.serve.app:build_app policy_dir=...``."""
    unknown = sorted(set(args) - set(BUILD_ARGS))
    if unknown:
        raise ValueError(f"unknown argument {unknown[0]!r}; build_app takes {', '.join(BUILD_ARGS)}")
    if "policy_dir" not in args:
        raise ValueError("pass policy_dir=<exported policy folder>, e.g. runs/shop/models/<id>/policy")
    return Recommender.bind(
        str(Path(args["policy_dir"]).expanduser().resolve()),
        None,
        args.get("api_key_file"),
        int(args.get("max_body_bytes", ServeConfig.max_body_bytes)),
    )
