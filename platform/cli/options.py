"""Turn config dataclass fields into typer options, so ``--help`` documents every field once.

Each field of a section becomes ``--<section>-<field-name>`` (or ``--<field-name>`` for the top level).
Options are read as strings and converted by the same code that reads YAML
(:func:`learec.platform.common.fields.from_dict`), so CLI and YAML accept exactly the same values.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

import typer

from learec.platform.common.fields import describe_constraint


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _describe_default(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return "none" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _choices(tp: Any) -> str:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) is typing.Literal:
        return " (one of " + ", ".join(str(a) for a in typing.get_args(tp)) + ")"
    for arg in args:
        if typing.get_origin(arg) is typing.Literal:
            return " (one of " + ", ".join(str(a) for a in typing.get_args(arg)) + ")"
    return ""


def _metavar(tp: Any) -> str:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    base = args[0] if typing.get_origin(tp) in (typing.Union, types.UnionType) and args else tp
    if typing.get_origin(base) is typing.Literal:
        return "CHOICE"
    if typing.get_origin(base) is tuple:
        return "LIST"
    return {int: "INT", float: "FLOAT", bool: "BOOL", str: "TEXT"}.get(base, "VALUE")


def config_options(
    cls: type,
    sections: tuple[str, ...] | None = None,
    prefix: str = "",
    top_level: tuple[str, ...] | None = None,
) -> list[tuple[str, inspect.Parameter]]:
    """(dotted key, typer parameter) for every leaf field of ``cls``, recursing into nested sections.

    ``sections`` limits which nested dataclass sections get options and ``top_level`` which plain fields
    of ``cls`` itself (None: all), so a command lists only the options it reads.
    """
    hints = typing.get_type_hints(cls)
    params: list[tuple[str, inspect.Parameter]] = []
    for f in dataclasses.fields(cls):
        dotted = f"{prefix}{f.name}"
        tp = hints[f.name]
        if _is_dataclass_type(tp):
            if sections is None or f.name in sections or prefix:
                params.extend(config_options(tp, None, dotted + "."))
            continue
        if not prefix and top_level is not None and f.name not in top_level:
            continue
        flag = "--" + dotted.replace(".", "-").replace("_", "-")
        default = f.default if f.default is not dataclasses.MISSING else None
        declared = describe_constraint(f.metadata)
        allowed = f" ({declared})" if declared else _choices(tp)
        help_text = f"{f.metadata.get('help', '')}{allowed} (default: {_describe_default(default)})"
        panel = prefix.rstrip(".").split(".")[0] or "run"
        option = typer.Option(
            None,
            flag,
            help=help_text,
            show_default=False,
            rich_help_panel=f"{panel} options",
            metavar=_metavar(tp),
        )
        name = dotted.replace(".", "__")
        params.append(
            (
                dotted,
                inspect.Parameter(
                    name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=str | None
                ),
            )
        )
    return params


def with_config_options(
    cls: type, sections: tuple[str, ...] | None = None, top_level: tuple[str, ...] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a command ``fn(overrides: dict[str, str], **own_params)`` with options for ``cls``.

    ``sections`` and ``top_level`` select the options as in :func:`config_options`.

    The command's own parameters stay as declared; the generated ones are collected into ``overrides``
    (dotted key -> string) with unset options left out.
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        # Resolve string annotations (``from __future__ import annotations``): typer needs real types.
        hints = typing.get_type_hints(fn, include_extras=True)
        own = [
            p.replace(annotation=hints.get(name, p.annotation))
            for name, p in inspect.signature(fn).parameters.items()
            if name != "overrides"
        ]
        generated = config_options(cls, sections, top_level=top_level)
        names = {p.name: dotted for dotted, p in generated}

        def command(**kwargs: Any) -> Any:
            overrides = {names[k]: v for k, v in kwargs.items() if k in names and v is not None}
            rest = {k: v for k, v in kwargs.items() if k not in names}
            return fn(overrides=overrides, **rest)

        command.__signature__ = inspect.Signature(own + [p for _, p in generated])  # type: ignore[attr-defined]
        command.__name__ = fn.__name__
        command.__doc__ = fn.__doc__
        return command

    return decorate
