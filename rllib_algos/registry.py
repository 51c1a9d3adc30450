"""Algorithm name -> RLlib config class (the runner and the run config look algorithms up here).

Classes are imported on first use: listing or validating names must not pay RLlib's import time.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from learec.rllib_algos.common.config import RecRLConfig

# name -> "module:ConfigClass"
ALGORITHMS: dict[str, str] = {
    "ce": "learec.rllib_algos.ce.ce:CEConfig",
    "sqn": "learec.rllib_algos.sqn.sqn:SQNConfig",
    "snqn": "learec.rllib_algos.snqn.snqn:SNQNConfig",
    "sa2c": "learec.rllib_algos.sa2c.sa2c:SA2CConfig",
    "cql": "learec.rllib_algos.cql.cql:CQLConfig",
    "dpo": "learec.rllib_algos.dpo.dpo:DPOConfig",
}


def names() -> list[str]:
    return sorted(ALGORITHMS)


def config_class(name: str) -> type[RecRLConfig]:
    if name not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {name!r}; choose one of {', '.join(names())}")
    module, _, cls = ALGORITHMS[name].partition(":")
    return getattr(importlib.import_module(module), cls)
