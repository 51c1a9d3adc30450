"""Read YAML config files into config dataclasses, with errors that name the file and line.

Precedence, lowest to highest: dataclass defaults < YAML file < command-line options.
Unknown keys are errors (a typo must never be silently ignored).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

from learec.platform.common.fields import from_dict

T = TypeVar("T")


class ConfigError(ValueError):
    """A config value is wrong; the message names the file, line and key."""


def _key_lines(node: yaml.Node, prefix: str = "") -> dict[str, int]:
    """Map dotted key paths to 1-based line numbers of a composed YAML mapping."""
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = f"{prefix}{key_node.value}"
            lines[key] = key_node.start_mark.line + 1
            lines.update(_key_lines(value_node, key + "."))
    return lines


MAX_CONFIG_BYTES = 1 << 20  # a run config is a few KB; more is a wrong file
MAX_EXPANDED_NODES = 10_000  # anchors and aliases may repeat a block, not build a billion laughs


def _read_text(path: Path) -> str:
    if path.is_dir():
        raise ConfigError(f"config file {path} is a folder; pass a YAML file")
    if not path.is_file():
        raise ConfigError(f"config file {path} not found")
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ConfigError(f"config file {path} is larger than {MAX_CONFIG_BYTES >> 20} MiB; is it a config?")
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from None


def _check_node(node: yaml.Node, path: Path) -> None:
    """Duplicate keys are errors (YAML would keep the last silently); alias expansion is bounded."""
    budget = [MAX_EXPANDED_NODES]

    def visit(n: yaml.Node) -> None:
        budget[0] -= 1
        if budget[0] < 0:
            raise ConfigError(
                f"{path}: anchors and aliases expand to more than {MAX_EXPANDED_NODES} values; "
                "write the config out instead"
            )
        if isinstance(n, yaml.MappingNode):
            first: dict[str, int] = {}
            for key_node, value_node in n.value:
                key = str(key_node.value)
                line = key_node.start_mark.line + 1
                if key in first:
                    raise ConfigError(
                        f"{path}:{line}: duplicate key {key!r} (first set on line {first[key]})"
                    )
                first[key] = line
                visit(value_node)
        elif isinstance(n, yaml.SequenceNode):
            for item in n.value:
                visit(item)

    visit(node)


def read_yaml(path: str | Path) -> tuple[dict[str, Any], dict[str, int]]:
    """The mapping in ``path`` and the line of every dotted key in it."""
    path = Path(path)
    text = _read_text(path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None:
            _check_node(node, path)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to be a config") from None
    if data is None:
        return {}, {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}:1: the config must be a mapping of keys to values")
    return dict(data), _key_lines(node)


def set_dotted(values: dict[str, Any], dotted: str, value: Any) -> None:
    """``set_dotted(d, "le.lora_r", 8)`` sets ``d["le"]["lora_r"] = 8``, creating sections."""
    *sections, key = dotted.split(".")
    target = values
    for section in sections:
        target = target.setdefault(section, {})
        if not isinstance(target, dict):
            raise ConfigError(f"{section} is a value, not a section; cannot set {dotted}")
    target[key] = value


def build_config(
    cls: type[T],
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> T:
    """``cls`` from defaults, then the YAML file at ``path``, then dotted ``overrides`` (CLI options)."""
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    if path is not None:
        values, lines = read_yaml(path)
    for dotted, value in (overrides or {}).items():
        set_dotted(values, dotted, value)
    try:
        return from_dict(cls, values)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        if path is not None:
            # Point at the line of the key the message names, when the file has it.
            for key in sorted(lines, key=len, reverse=True):
                parent, _, leaf = key.rpartition(".")
                if key in message or (parent and parent in message and leaf in message):
                    raise ConfigError(f"{path}:{lines[key]}: {message}") from None
            raise ConfigError(f"{path}: {message}") from None
        raise ConfigError(message) from None


def dump_yaml(values: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(values), sort_keys=False, allow_unicode=True)
