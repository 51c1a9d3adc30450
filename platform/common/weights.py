"""Reading weight files that may be corrupt or belong to another config, with one-sentence errors.

A safetensors file with a malformed header, or tensors whose names or shapes do not fit the network the
config describes (another item count, hidden size or backbone), is a ``ValueError`` that names the
file, the first tensor at fault and what to do, instead of a safetensors or torch traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def read_safetensors(path: Path, fix: str) -> dict[str, Any]:
    """The tensors in ``path``; a ValueError naming it when it is missing or not a safetensors file."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not Path(path).is_file():
        raise ValueError(f"{path}: missing; {fix}")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise ValueError(f"{path}: not a readable safetensors file ({reason}); {fix}") from None


def _shape(value: Any) -> tuple[int, ...]:
    return tuple(int(n) for n in getattr(value, "shape", ()))


def load_matching(module: Any, state: Mapping[str, Any], path: Path, config: str, fix: str) -> None:
    """``module.load_state_dict(state)`` after checking every name and shape against ``module``.

    ``config`` describes what the module was built from (``"n_items=120, hidden=64"``) for the message.
    """
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    if missing:
        raise ValueError(f"{path}: no tensor {missing[0]!r}, which {config} needs; {fix}")
    extra = [k for k in state if k not in expected]
    if extra:
        raise ValueError(f"{path}: tensor {extra[0]!r} has no place in the network for {config}; {fix}")
    for name, want in expected.items():
        got, needed = list(_shape(state[name])), list(_shape(want))
        if got != needed:
            raise ValueError(f"{path}: tensor {name!r} has shape {got}, but {config} needs {needed}; {fix}")
    module.load_state_dict(dict(state))
