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


BOUNDS = {"ge": (lambda v, b: v >= b, ">="), "gt": (lambda v, b: v > b, ">"), "le": (lambda v, b: v <= b, "<=")}


def opt(default: Any, help: str, **metadata: Any) -> Any:
    """A dataclass field with a default and a one-line help text (shown by ``--help``).

    ``ge``/``gt``/``le`` bound a number; YAML and CLI values outside are errors naming the key (sizes get
    an upper bound so a typo cannot exhaust memory).
    """
    if isinstance(default, list | dict | set):
        raise TypeError("mutable defaults are not allowed; use a tuple")
    return dataclasses.field(default=default, metadata={"help": help, **metadata})


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


def _check_bounds(value: Any, metadata: Mapping[str, Any], where: str) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return
    for key, (ok, sign) in BOUNDS.items():
        if key in metadata and not ok(value, metadata[key]):
            raise ValueError(f"{where} must be {sign} {metadata[key]}, got {value}")


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
    for f in dataclasses.fields(cls):
        if f.name in kwargs:
            _check_bounds(kwargs[f.name], f.metadata, f"{prefix}{f.name}")
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
