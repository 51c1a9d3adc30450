"""Whether an LE's held-out quality is worth training on: a warning for the console and the report.

Light on purpose (no torch, no Ray): the pipeline and the report read it from ``metrics/le.json``.
"""

from __future__ import annotations

from typing import Any


def weak_le_warning(metrics: dict[str, Any]) -> str | None:
    """One sentence when the LE ranks held-out pairs no better than counting could from the same logs.

    Below popularity fitted on all training data, or below co-occurrence fitted on the LE's own user
    subset, its state, rewards and positive actions carry less than item counts do, and the LE variants
    (le_state, le_reward, lea) train on noise: on MovieLens under leave-one-out such an LE (0.63 vs
    popularity 0.64) put SQN+LEA 44 % below SQN. None when the LE beats both (or a figure is missing).
    """
    le = metrics.get("le/pair_acc")
    if le is None:
        return None
    bars = [
        (metrics.get("pop/pair_acc"), "popularity fitted on all training data"),
        (metrics.get("cooc_subset/pair_acc"), "co-occurrence fitted on the LE's own users"),
    ]
    beaten_by = [f"{name} ({value:.3f})" for value, name in bars if value is not None and le <= value]
    if not beaten_by:
        return None
    return (
        f"the LE ranks held-out pairs at {le:.3f}, no better than " + " or ".join(beaten_by) + ": its "
        "labels carry less than item counts, so the LE variants (le_state, le_reward, lea) will likely "
        "trail their base; adapt it on more users (le.user_fraction), for longer (le.epochs) or from a "
        "pretrained base (le.backbone)"
    )
