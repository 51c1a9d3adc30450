"""Exported policies for the endpoint tests, built in code (tiny CE learners, no training)."""

from __future__ import annotations

from pathlib import Path

import pytest
from policies import make_policy


@pytest.fixture(scope="session")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_policy(tmp_path_factory.mktemp("serve") / "policy", seed=1, metrics={"ndcg@10": 0.25})


@pytest.fixture(scope="session")
def other_policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second policy with different weights: the target of the rolling-update test."""
    return make_policy(tmp_path_factory.mktemp("serve") / "policy2", seed=2, metrics={"ndcg@10": 0.5})
