"""YAML configs: precedence, type conversion and errors that point at the file line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pytest

from learec.platform.common.fields import from_dict, opt, to_dict
from learec.platform.jobs.config_file import ConfigError, build_config


@dataclass(frozen=True)
class Inner:
    gamma: float = opt(0.5, "discount")
    mode: Literal["none", "concat"] = opt("none", "fusion")
    ks: tuple[int, ...] = opt((5, 10), "cut-offs")

    def __post_init__(self) -> None:
        if not 0.0 <= self.gamma < 1.0:
            raise ValueError(f"gamma must be in [0, 1), got {self.gamma}")


@dataclass(frozen=True)
class Outer:
    name: str = opt("shop", "run name")
    seed: int = opt(0, "seed")
    limit: int | None = opt(None, "optional cap")
    inner: Inner = opt(Inner(), "inner section")


def test_defaults_file_and_overrides_stack(tmp_path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("seed: 3\ninner:\n  gamma: 0.9\n  ks: [1, 2]\n")
    cfg = build_config(Outer, path, {"inner.mode": "concat", "limit": "7"})
    assert cfg == Outer(seed=3, limit=7, inner=Inner(gamma=0.9, mode="concat", ks=(1, 2)))
    assert to_dict(cfg)["inner"]["ks"] == [1, 2]


def test_unknown_key_names_the_line(tmp_path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("seed: 1\ninner:\n  gama: 0.9\n")
    with pytest.raises(ConfigError, match=r"run.yaml:3: unknown key inner.gama"):
        build_config(Outer, path)


def test_invalid_value_names_the_line(tmp_path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("inner:\n  gamma: 1.5\n")
    with pytest.raises(ConfigError, match=r"run.yaml:2: inner: gamma must be in \[0, 1\), got 1.5"):
        build_config(Outer, path)


def test_wrong_types_and_choices_are_rejected() -> None:
    with pytest.raises(ConfigError, match="seed must be an integer"):
        build_config(Outer, None, {"seed": "three"})
    with pytest.raises(ConfigError, match="inner.mode must be one of 'none', 'concat'"):
        build_config(Outer, None, {"inner.mode": "gate"})
    with pytest.raises(ConfigError, match="seed must be an integer, got True"):
        build_config(Outer, None, {"seed": True})
    assert from_dict(Outer, {"limit": None}).limit is None


def test_broken_yaml_reports_line(tmp_path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("seed: 1\ninner: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:\d+: not valid YAML"):
        build_config(Outer, path)


def test_missing_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        build_config(Outer, tmp_path / "nope.yaml")
