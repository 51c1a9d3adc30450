"""What the LE environment learns from the logs: purchase logging, leave probability, purchase model."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from learec.platform.data import schema
from learec.platform.data.preprocess import to_events_table
from learec.platform.data.transitions import build_transitions
from learec.platform.le.env.calibration import (
    Calibration,
    click_decisions,
    detect_purchase_event,
    fit_logistic,
)


def _events(sessions: list[list[tuple[int, bool]]]) -> pa.Table:
    s, ts, item, buy = [], [], [], []
    for sid, events in enumerate(sessions):
        for t, (i, b) in enumerate(events):
            s.append(sid), ts.append(t), item.append(i), buy.append(b)
    return to_events_table(np.array(s), np.array(ts), np.array(item), np.array(buy))


EXTRA = [[(1, False), (1, True), (2, False)], [(3, False), (4, False), (4, True)]]  # buy repeats the click
REPLACE = [[(1, False), (2, True), (3, False)], [(3, False), (5, True)]]  # the event is the purchase


def test_purchase_logging_is_detected() -> None:
    assert detect_purchase_event(_events(EXTRA)) == "extra"
    assert detect_purchase_event(_events(REPLACE)) == "replace"
    assert detect_purchase_event(_events([[(1, False), (2, False)]])) == "replace"


def test_click_decisions_label_the_click_that_was_bought() -> None:
    tr = build_transitions(_events(EXTRA), n_items=10)
    rows, bought = click_decisions(tr, "extra")
    assert rows.tolist() == [0, 2, 3, 4]  # the purchase rows are not decisions
    assert bought.tolist() == [True, False, False, True]
    rows, bought = click_decisions(build_transitions(_events(REPLACE), n_items=10), "replace")
    assert rows.tolist() == [0, 1, 2, 3, 4] and bought.tolist() == [False, True, False, False, True]


def test_logistic_fit_recovers_known_parameters() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=20_000)
    y = rng.random(20_000) < 1 / (1 + np.exp(-(-1.5 + 0.8 * x)))
    w0, w1 = fit_logistic(x, y)
    assert w0 == pytest.approx(-1.5, abs=0.08) and w1 == pytest.approx(0.8, abs=0.08)
    w0, w1 = fit_logistic(x, np.zeros_like(y))  # no purchase at all: finite and tiny
    assert np.isfinite([w0, w1]).all()
    assert Calibration("extra", 0.1, w0, w1, 8.0, 0.0, 1).purchase_probability(np.array([0.0]))[0] < 0.01


def test_world_calibration_follows_the_shop_logs(world, world_dirs) -> None:
    from learec.platform.data.prepare import load_prepared

    data = load_prepared(world_dirs.data)
    events = data.events("train")
    n_sessions = len(np.unique(events.column(schema.SESSION_ID).to_numpy()))
    buys = int(np.sum(events.column(schema.EVENT).to_numpy(zero_copy_only=False) == schema.PURCHASE))
    cal = world.calibration
    assert cal.purchase_event == "extra"
    assert cal.mean_session_clicks == pytest.approx((events.num_rows - buys) / n_sessions)
    assert cal.leave_prob == pytest.approx(1 / cal.mean_session_clicks)
    assert 0 < cal.logged_buy_rate < 1
    # the fitted model reproduces the logged rate on average (a logistic fit matches the mean)
    assert np.isfinite(cal.purchase_slope) and cal.fit_rows > 100
