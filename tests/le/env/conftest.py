"""Session fixtures of the LE-environment tests: a tiny shop world (data + LE) and the loaded world."""

from __future__ import annotations

from pathlib import Path

import pytest
from le_world import WorldDirs, build_world_dirs


@pytest.fixture(scope="session")
def world_dirs(tmp_path_factory: pytest.TempPathFactory) -> WorldDirs:
    return build_world_dirs(tmp_path_factory.mktemp("le_world"))


@pytest.fixture(scope="session")
def world(world_dirs: WorldDirs):
    from learec.platform.le.env.config import LEEnvConfig
    from learec.platform.le.env.world import LEWorld

    return LEWorld.build(world_dirs.le, world_dirs.data, LEEnvConfig(max_steps=8))


@pytest.fixture(scope="session")
def policy_dir(world_dirs: WorldDirs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from le_world import make_policy

    return make_policy(tmp_path_factory.mktemp("policy") / "policy", world_dirs.data)
