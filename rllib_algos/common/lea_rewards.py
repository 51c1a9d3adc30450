"""The scale on which an LE positive's own reward enters LEA's TD term (``lea_reward_source``).

Each generated positive carries its LE reward ``z`` (``le_pos_rewards``), normalised like the logged
action's ``le_reward``: a z-score over held-out LE pairs, unbounded, centred between liked and unliked
items, so the LE's best positives sit well above 0. The logged rewards are 0.2 (click) and 1.0 (purchase).
Fed raw, ``z`` would swamp the logged rewards in the Q targets, so it is mapped onto the logged scale:

- ``le_affine``: ``clip(a + b * z, 0, r_max)``, where ``a + b * z`` is the least-squares line from the
  logged rows' ``le_reward`` to their logged reward: the reward a logged row with that LE score earns on
  average. ``b`` is floored at 0 (a negative slope would rank the positives backwards; then every positive
  gets the mean logged reward).
- ``le_sigmoid``: ``r_max * sigmoid(z)``: monotone, bounded, no fit; an average-scored item gets half the
  purchase reward.

``r_max`` is the largest logged reward (the purchase reward). The runner fits the scale once on the
training rows (:func:`read_reward_scale`); the learner applies it to each batch (``losses.lea_le_rewards``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow.parquet as pq

from learec.platform.data import schema

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeaRewardScale:
    """``reward = clip(offset + slope * z, 0, high)`` (``le_affine``) or ``high * sigmoid(z)``."""

    offset: float
    slope: float
    high: float


def fit_reward_scale(le_reward: np.ndarray, reward: np.ndarray) -> LeaRewardScale:
    """The least-squares line ``reward ~ offset + slope * le_reward`` over logged rows (slope >= 0)."""
    z = np.asarray(le_reward, dtype=np.float64).reshape(-1)
    r = np.asarray(reward, dtype=np.float64).reshape(-1)
    if z.shape != r.shape or z.size == 0:
        raise ValueError(
            f"fitting the LEA reward scale needs matching, non-empty columns; got {z.size} and {r.size}"
        )
    var = float(z.var())
    slope = float(((z - z.mean()) * (r - r.mean())).mean() / var) if var > 1e-12 else 0.0
    if slope < 0:
        log.warning(
            "le_reward falls as the logged reward rises (slope %.4f): LE positives all get the mean "
            "logged reward %.4f",
            slope,
            r.mean(),
        )
        slope = 0.0
    offset = float(r.mean() - slope * z.mean())
    return LeaRewardScale(offset=offset, slope=slope, high=float(r.max()))


def read_reward_scale(files: Sequence[str]) -> LeaRewardScale:
    """:func:`fit_reward_scale` over the ``le_reward`` and ``reward`` columns of labeled transitions."""
    tables = [pq.read_table(f, columns=[schema.LE_REWARD, schema.REWARD]) for f in files]
    z = np.concatenate([t.column(schema.LE_REWARD).to_numpy() for t in tables])
    r = np.concatenate([t.column(schema.REWARD).to_numpy() for t in tables])
    scale = fit_reward_scale(z, r)
    log.info(
        "LEA reward scale from %d logged rows: reward = clip(%.4f + %.4f * z, 0, %.4f)",
        len(z),
        scale.offset,
        scale.slope,
        scale.high,
    )
    return scale
