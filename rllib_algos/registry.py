"""Algorithm name -> RLlib config class (the CLI, jobs and Tune look algorithms up here)."""

from __future__ import annotations

from learec.rllib_algos.ce.ce import CEConfig
from learec.rllib_algos.common.config import RecRLConfig
from learec.rllib_algos.sa2c.sa2c import SA2CConfig
from learec.rllib_algos.snqn.snqn import SNQNConfig
from learec.rllib_algos.sqn.sqn import SQNConfig

ALGORITHMS: dict[str, type[RecRLConfig]] = {
    "ce": CEConfig,
    "sqn": SQNConfig,
    "snqn": SNQNConfig,
    "sa2c": SA2CConfig,
}


def names() -> list[str]:
    return sorted(ALGORITHMS)


def config_class(name: str) -> type[RecRLConfig]:
    if name not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {name!r}; choose one of {', '.join(names())}")
    return ALGORITHMS[name]
