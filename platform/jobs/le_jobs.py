"""LE jobs: adapt the language-model environment on a prepared dataset, and evaluate it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from learec.platform.common import outputs


def train(
    le_config: Any,
    data_dir: Path,
    out: Path,
    progress: Callable[[str, int, int], None] | None = None,
    force: bool = False,
) -> Path:
    """Train the LE on the training split (its own user subset inside) and write a checkpoint to ``out``.

    ``force`` replaces an LE checkpoint already at ``out``; any other non-empty folder is refused.
    """
    from learec.platform.data.prepare import load_prepared
    from learec.platform.le.trainer import train_le

    out = outputs.claim_output(out, "le-checkpoint", replace=force)
    data = load_prepared(outputs.resolve_path(data_dir))
    return train_le(
        le_config,
        data.transitions("train"),
        data.items(),
        out,
        progress=progress,
        heldout_transitions=data.transitions("val"),
    )


def evaluate(ckpt: Path, data_dir: Path, shop: Any = None, k: int = 10) -> dict[str, float]:
    """Held-out LE quality on the validation split (never seen by the LE), vs popularity and co-occurrence."""
    from learec.platform.data.prepare import load_prepared
    from learec.platform.le.environment import LanguageEnvironment
    from learec.platform.le.evaluate import evaluate_le

    data = load_prepared(outputs.resolve_path(data_dir))
    ckpt = outputs.resolve_path(ckpt)
    env = LanguageEnvironment.load(ckpt, expected_raw_ids=data.raw_ids())
    return evaluate_le(
        env,
        data.transitions("test"),
        popularity=data.popularity(),
        train_transitions=data.transitions("train"),
        shop=shop,
        events=data.events("test") if shop is not None else None,
        k=k,
        ckpt_dir=Path(ckpt),
    )
