"""Typed, documented config fields.

Every component has one frozen dataclass whose fields are declared with :func:`opt`, so the default and
its meaning live together. The CLI, ``defaults.yaml`` and the run's ``resolved.yaml`` are all generated
from these fields, which keeps CLI, YAML and Python API from drifting apart.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


Bounds = dict[str, float]
BOUND_SYMBOLS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}


def opt(
    default: Any,
    help: str,
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    choices: tuple[Any, ...] | None = None,
    **metadata: Any,
) -> Any:
    """A dataclass field with a default, a one-line help text and its allowed values.

    ``ge``/``gt``/``le``/``lt`` bound a number (each element of a tuple), ``choices`` lists the allowed
    values; :class:`Checked` enforces them on construction (from Python, YAML or the CLI alike) and
    ``--help`` shows them, so a range is written once, with the field.
    """
    if isinstance(default, list | dict | set):
        raise TypeError("mutable defaults are not allowed; use a tuple")
    bounds = {k: v for k, v in {"ge": ge, "gt": gt, "le": le, "lt": lt}.items() if v is not None}
    declared: dict[str, Any] = {"help": help, **metadata}
    if bounds:
        declared["bounds"] = bounds
    if choices is not None:
        declared["choices"] = tuple(choices)
    return dataclasses.field(default=default, metadata=declared)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def describe_constraint(metadata: Mapping[str, Any]) -> str:
    """``"must be in [0, 1)"``, ``"must be >= 1"`` or ``"must be one of 0, 1, 2"``; empty without one."""
    if "choices" in metadata:
        return "must be one of " + ", ".join(str(c) for c in metadata["choices"])
    bounds: Bounds = metadata.get("bounds", {})
    low = next(((k, v) for k, v in bounds.items() if k in ("ge", "gt")), None)
    high = next(((k, v) for k, v in bounds.items() if k in ("le", "lt")), None)
    if low and high:
        left, right = "[" if low[0] == "ge" else "(", "]" if high[0] == "le" else ")"
        return f"must be in {left}{_number(low[1])}, {_number(high[1])}{right}"
    if low or high:
        kind, value = low or high  # type: ignore[misc]
        return f"must be {BOUND_SYMBOLS[kind]} {_number(value)}"
    return ""


def _violates(value: Any, metadata: Mapping[str, Any]) -> bool:
    if value is None:
        return False  # an optional field left unset
    if isinstance(value, tuple):
        return any(_violates(v, metadata) for v in value)
    if "choices" in metadata and value not in metadata["choices"]:
        return True
    bounds: Bounds = metadata.get("bounds", {})
    if not bounds or isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return not (
        value >= bounds.get("ge", value)
        and value <= bounds.get("le", value)
        and ("gt" not in bounds or value > bounds["gt"])
        and ("lt" not in bounds or value < bounds["lt"])
    )


def check_declared(config: Any) -> None:
    """Raise a ValueError naming the first field whose value breaks its declared bounds or choices."""
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if _violates(value, f.metadata):
            raise ValueError(f"{f.name} {describe_constraint(f.metadata)}, got {value!r}")


class Checked:
    """Base of config dataclasses: construction checks every field's declared bounds and choices.

    A subclass with rules across fields overrides ``__post_init__`` and calls ``super().__post_init__()``
    first.
    """

    def __post_init__(self) -> None:
        check_declared(self)


def field_help(cls: type, name: str) -> str:
    """The help text of field ``name`` of dataclass ``cls``."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            return str(f.metadata.get("help", ""))
    raise KeyError(f"{cls.__name__} has no field {name!r}")


def to_dict(config: Any) -> dict[str, Any]:
    """A plain, YAML-ready dict of a (possibly nested) config dataclass; tuples become lists."""

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return plain(config)


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    """Convert a YAML/CLI value to the field's declared type, or raise a ValueError naming ``where``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, where)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError(errors[0] if errors else f"{where}: cannot read {value!r}")
    if origin is typing.Literal:
        if value not in args:
            choices = ", ".join(repr(a) for a in args)
            raise ValueError(f"{where} must be one of {choices}, got {value!r}")
        return value
    if origin is tuple:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple):
            raise ValueError(f"{where} must be a list, got {value!r}")
        item_type = args[0] if args else Any
        return tuple(_coerce(v, item_type, f"{where}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(annotation):
        if isinstance(value, annotation):
            return value
        if not isinstance(value, Mapping):
            raise ValueError(f"{where} must be a mapping, got {value!r}")
        return from_dict(annotation, value, where=where)
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "yes", "1", "false", "no", "0"}:
            return value.lower() in {"true", "yes", "1"}
        raise ValueError(f"{where} must be true or false, got {value!r}")
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"{where} must be an integer, got {value!r}")
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"{where} must be an integer, got {value!r}") from None
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"{where} must be a number, got {value!r}")
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"{where} must be a number, got {value!r}") from None
    if annotation is str:
        if not isinstance(value, str | int | float):
            raise ValueError(f"{where} must be a string, got {value!r}")
        return str(value)
    return value


def from_dict(cls: type[T], values: Mapping[str, Any] | None, *, where: str = "") -> T:
    """Build dataclass ``cls`` from a mapping; unknown keys and wrong types are errors naming the key.

    ``where`` prefixes error messages (for example ``"run.yaml: le"``) so a user sees which key is wrong.
    """
    values = dict(values or {})
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(values) - names)
    prefix = f"{where}." if where else ""
    if unknown:
        raise ValueError(f"unknown key {prefix}{unknown[0]}; known keys: {', '.join(sorted(names))}")
    kwargs = {k: _coerce(v, hints[k], f"{prefix}{k}") for k, v in values.items()}
    try:
        return cls(**kwargs)
    except ValueError as exc:
        if where and not str(exc).startswith(where):
            raise ValueError(f"{where}: {exc}") from None
        raise


def replace(config: T, **changes: Any) -> T:
    """``dataclasses.replace`` that coerces and validates the new values like :func:`from_dict`."""
    merged = {**{f.name: getattr(config, f.name) for f in dataclasses.fields(config)}, **changes}
    return from_dict(type(config), merged)
