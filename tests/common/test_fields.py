"""Ranges and choices declared with the field: checked once on construction, described for --help."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from learec.platform.cli.options import config_options
from learec.platform.common.fields import Checked, describe_constraint, from_dict, opt


@dataclass(frozen=True)
class Example(Checked):
    rate: float = opt(0.5, "a rate", ge=0, lt=1)
    count: int = opt(1, "a count", gt=0)
    widths: tuple[int, ...] = opt((1, 2), "widths", ge=1)
    mode: int = opt(0, "a mode", choices=(0, 1, 2))
    limit: int | None = opt(None, "optional cap", ge=1)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"rate": 1.0}, r"rate must be in \[0, 1\), got 1.0"),
        ({"rate": -0.1}, r"rate must be in \[0, 1\), got -0.1"),
        ({"count": 0}, "count must be > 0, got 0"),
        ({"widths": (1, 0)}, r"widths must be >= 1, got \(1, 0\)"),
        ({"mode": 3}, "mode must be one of 0, 1, 2, got 3"),
        ({"limit": 0}, "limit must be >= 1, got 0"),
    ],
)
def test_declared_constraints_hold_for_python_and_yaml(values: dict, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}"):
        Example(**values)
    with pytest.raises(ValueError, match=f"^run.yaml: ex: {message}"):
        from_dict(Example, values, where="run.yaml: ex")


def test_values_on_the_bounds_and_unset_optionals_pass() -> None:
    Example(rate=0.0, count=1, widths=(1,), mode=2, limit=None)


def test_help_shows_the_declared_constraint() -> None:
    helps = {key: p.default.help for key, p in config_options(Example)}
    assert "(must be in [0, 1))" in helps["rate"] and "(must be one of 0, 1, 2)" in helps["mode"]
    assert describe_constraint({"help": "no bounds"}) == ""
