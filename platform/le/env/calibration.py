"""What the LE environment learns from the logged training split, besides the LE itself.

- **How a purchase is logged** (``purchase_event``): ``extra`` when most purchases repeat the item of the
  session's previous event (the shop, RetailRocket: click, then a purchase event on the same item), else
  ``replace`` (the event is the purchase: MovieLens ratings >= 4).
- **Leave probability**: ``1 / mean clicks per training session``, so simulated session lengths are
  geometric with the logged mean (purchase events of the ``extra`` kind are not clicks).
- **Purchase model**: ``p(buy | s, a) = sigmoid(w0 + w1 * r_LE(s, a))``, a logistic regression of "this
  click was bought" on the LE's normalised reward of the clicked item, fitted on a seeded sample of
  logged click decisions. With ``extra`` logging a decision is a click row, bought when the next row of
  the session is a purchase of the same item; with ``replace`` every row is a decision and ``is_buy`` the
  label. The fit has a small ridge penalty so that logs without purchases give a finite, tiny rate.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from learec.platform.data import schema
from learec.platform.le.env.config import LEEnvConfig
from learec.platform.le.pairs import transition_arrays

log = logging.getLogger(__name__)

RIDGE = 1.0  # L2 penalty of the logistic fit (negligible against thousands of rows, finite with no buys)


@dataclass(frozen=True)
class Calibration:
    purchase_event: str  # "extra" | "replace"
    leave_prob: float  # 1 / mean clicks per session (le_env.leave_prob, when set, overrides it)
    purchase_intercept: float  # w0
    purchase_slope: float  # w1, per unit of normalised LE reward
    mean_session_clicks: float
    logged_buy_rate: float  # purchases per click decision in the logs
    fit_rows: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Calibration:
        try:
            return cls(**values)
        except TypeError as exc:
            raise ValueError(f"calibration must hold {', '.join(cls.__dataclass_fields__)}: {exc}") from None

    def purchase_probability(self, rewards: np.ndarray) -> np.ndarray:
        """p(buy) of clicked items with normalised LE rewards ``rewards`` (any shape)."""
        return _sigmoid(self.purchase_intercept + self.purchase_slope * np.asarray(rewards, np.float64))


def detect_purchase_event(events: pa.Table) -> str:
    """``extra`` when most purchases repeat the item of the session's previous event, else ``replace``."""
    session = events.column(schema.SESSION_ID).to_numpy()
    item = events.column(schema.ITEM_ID).to_numpy()
    buy = np.asarray(events.column(schema.EVENT).to_numpy(zero_copy_only=False) == schema.PURCHASE)
    rows = np.flatnonzero(buy[1:]) + 1
    if not len(rows):
        return "replace"
    repeats = (session[rows] == session[rows - 1]) & (item[rows] == item[rows - 1])
    return "extra" if repeats.mean() > 0.5 else "replace"


def click_decisions(transitions: pa.Table, purchase_event: str) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, bought)``: the transition rows that are click decisions and whether each was bought."""
    session = transitions.column(schema.SESSION_ID).to_numpy()
    action = transitions.column(schema.ACTION).to_numpy()
    is_buy = transitions.column(schema.IS_BUY).to_numpy().astype(bool)
    if purchase_event == "replace":
        return np.arange(len(action)), is_buy
    rows = np.flatnonzero(~is_buy)
    nxt = np.minimum(rows + 1, len(action) - 1)
    bought = (nxt > rows) & is_buy[nxt] & (session[nxt] == session[rows]) & (action[nxt] == action[rows])
    return rows, bought


def fit_logistic(
    x: np.ndarray, y: np.ndarray, ridge: float = RIDGE, iterations: int = 50
) -> tuple[float, float]:
    """``(w0, w1)`` of ``p(y=1 | x) = sigmoid(w0 + w1 x)`` by Newton's method with an L2 penalty."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    design = np.stack([np.ones_like(x), x], axis=1)  # [n, 2]
    w = np.zeros(2)
    for _ in range(iterations):
        p = _sigmoid(design @ w)
        grad = design.T @ (p - y) + ridge * w
        hess = (design * (p * (1 - p))[:, None]).T @ design + ridge * np.eye(2)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return float(w[0]), float(w[1])


def calibrate(le: Any, events: pa.Table, transitions: pa.Table, config: LEEnvConfig) -> Calibration:
    """Fit the leave probability and the purchase model on the training split (``events``, ``transitions``).

    ``le`` is a loaded ``LanguageEnvironment``; it scores ``config.calibration_rows`` sampled click
    decisions in one batched call.
    """
    if transitions.num_rows == 0:
        raise ValueError("the training transitions are empty: the LE environment needs logged sessions")
    kind = config.purchase_event if config.purchase_event != "auto" else detect_purchase_event(events)
    is_buy = np.asarray(events.column(schema.EVENT).to_numpy(zero_copy_only=False) == schema.PURCHASE)
    session = events.column(schema.SESSION_ID).to_numpy()
    n_sessions = int(len(np.unique(session)))
    clicks = len(session) - (int(is_buy.sum()) if kind == "extra" else 0)
    mean_clicks = clicks / max(n_sessions, 1)
    leave = min(1.0, 1.0 / max(mean_clicks, 1.0))

    rows, bought = click_decisions(transitions, kind)
    rng = np.random.default_rng([config.seed, 0x1E])
    if len(rows) > config.calibration_rows:
        pick = np.sort(rng.choice(len(rows), size=config.calibration_rows, replace=False))
        rows, bought = rows[pick], bought[pick]
    arrays = transition_arrays(transitions.take(pa.array(rows)), "training transitions")
    rewards = le.reward(arrays.states, arrays.lengths, arrays.actions)  # [R]
    w0, w1 = fit_logistic(rewards, bought)
    result = Calibration(
        purchase_event=kind,
        leave_prob=float(leave),
        purchase_intercept=w0,
        purchase_slope=w1,
        mean_session_clicks=float(mean_clicks),
        logged_buy_rate=float(bought.mean()) if len(bought) else 0.0,
        fit_rows=int(len(rows)),
    )
    log.info("LE environment calibration: %s", result)
    return result


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, np.float64)))
