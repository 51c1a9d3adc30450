"""Session fixtures for the LE tests: toy data and two trained tiny LEs (full and LoRA mode)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from le.toy_data import tiny_config, toy_items, toy_transitions


@pytest.fixture(scope="session")
def le_data() -> dict[str, pa.Table]:
    return {
        "items": toy_items(),
        "train": toy_transitions(240, seed=1),
        "heldout": toy_transitions(60, seed=2, first_session=10_000),
    }


@pytest.fixture(scope="session")
def full_ckpt(le_data: dict[str, pa.Table], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny LE trained in full mode (the tiny default: every weight trains)."""
    from learec.platform.le.trainer import train_le

    out = tmp_path_factory.mktemp("le_full") / "ckpt"
    return train_le(
        tiny_config(), le_data["train"], le_data["items"], out, heldout_transitions=le_data["heldout"]
    )


@pytest.fixture(scope="session")
def full_env(full_ckpt: Path):
    from learec.platform.le.environment import LanguageEnvironment

    return LanguageEnvironment.load(full_ckpt)


@pytest.fixture(scope="session")
def lora_ckpt(le_data: dict[str, pa.Table], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny LE in LoRA mode (base frozen, as on a pretrained backbone), adapted on half the sessions."""
    from learec.platform.le.trainer import train_le

    out = tmp_path_factory.mktemp("le_lora") / "ckpt"
    cfg = tiny_config(train_base=False, steps=40, user_fraction=0.5)
    return train_le(cfg, le_data["train"], le_data["items"], out)
