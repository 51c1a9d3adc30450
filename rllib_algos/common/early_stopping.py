"""Early stopping on a validation metric: which validation was best, and when to give up.

The training loop validates every few iterations; :class:`BestOnVal` says whether a result is the best so
far (the loop then keeps those weights) and whether ``patience`` validations in a row have failed to beat
it (the loop then stops and exports the best weights instead of the last). Torch- and Ray-free.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass


def metric_value(val: Mapping[str, float], metric: str) -> tuple[str, float]:
    """``(key, value)`` of ``metric`` in ``val``; a purchase metric without purchases falls back to clicks.

    Logs without a purchase signal (play counts, pure click streams) leave every purchase metric NaN, and
    stopping on NaN would never find a best; the click version of the same metric stands in.
    """
    candidates = [metric]
    if metric.endswith("/purchase"):
        candidates.append(metric[: -len("purchase")] + "click")
    for key in candidates:
        value = val.get(key)
        if value is not None and not math.isnan(value):
            return key, float(value)
    known = ", ".join(sorted(k for k in val if "@" in k and "/" in k)[:8])
    raise ValueError(
        f"select_metric {metric!r} has no value on the val split (keys such as: {known}); "
        "set train.select_metric to one of them"
    )


@dataclass
class BestOnVal:
    """The best validation so far and how many validations since it."""

    metric: str
    patience: int  # validations in a row without a better value before stopping; 0 never stops
    best: float = -math.inf
    best_iteration: int | None = None
    key: str | None = None  # the key actually read (the click fallback of a purchase metric)
    stale: int = 0

    def update(self, val: Mapping[str, float], iteration: int) -> bool:
        """Record the validation at ``iteration``; True when it is the best so far."""
        key, value = metric_value(val, self.metric)
        self.key = key
        if value > self.best:
            self.best, self.best_iteration, self.stale = value, iteration, 0
            return True
        self.stale += 1
        return False

    @property
    def exhausted(self) -> bool:
        """``patience`` validations in a row without a better value."""
        return self.patience > 0 and self.stale >= self.patience
