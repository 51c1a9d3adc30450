"""On a small synthetic shop the tiny LE learns the shop (pair accuracy, Spearman with the true utility and
precision@10 well above chance) and every metric is well defined; the shop's truth is read from real click
histories."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from learec.platform.data import schema
from learec.platform.le.evaluate import _action_ts, _click_histories

N_ITEMS = 100


@pytest.fixture(scope="module")
def shop_metrics(tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    from learec.platform.data.prepare import PrepConfig, prepare
    from learec.platform.le.config import LEConfig
    from learec.platform.le.environment import LanguageEnvironment
    from learec.platform.le.evaluate import evaluate_le
    from learec.platform.le.trainer import train_le
    from learec.platform.sim.shop import ShopConfig, SyntheticShop

    root = tmp_path_factory.mktemp("le_shop")
    shop = SyntheticShop(ShopConfig(n_items=N_ITEMS, n_categories=4, n_users=100, n_sessions=300, seed=3))
    logs = shop.generate()
    data = prepare(logs.to_raw(), PrepConfig(), Path(root / "data"))
    config = LEConfig(
        tiny_hidden=64,
        tiny_intermediate=128,
        tiny_vocab=400,
        item_token_epochs=1,
        steps=100,
        eval_every=50,
        user_fraction=0.5,
        heldout_pairs=64,
        threads=2,
    )
    train, val = data.transitions("train"), data.transitions("val")
    ckpt = train_le(config, train, data.items(), root / "ckpt", heldout_transitions=val)
    env = LanguageEnvironment.load(ckpt)
    return evaluate_le(
        env,
        data.transitions("test"),
        data.popularity(),
        data.transitions("train"),
        shop=shop,
        shop_logs=logs,
        events=data.events("test"),
        n_pairs=300,
        n_states=80,
    )


def test_le_learns_the_shop_and_every_metric_is_well_defined(shop_metrics: dict[str, float]) -> None:
    m = shop_metrics
    for key in ("le", "pop", "cooc", "pop_subset", "cooc_subset"):
        assert 0.0 <= m[f"{key}/pair_acc"] <= 1.0
    assert m["le/pair_acc"] > 0.65  # chance is 0.5
    assert m["le/spearman_utility"] > 0.1  # chance is 0
    assert m["le/pos_precision@10"] > 2 * 10 / N_ITEMS  # a random top-10 hits 10 / n_items on average
    assert m["subset_transitions"] > 0 and m["n_states"] == 80


def _raw_events(rows: list[tuple[int, int, str, str]]) -> pa.Table:
    s, t, r, e = zip(*rows, strict=True)
    return pa.table(
        {schema.SESSION_ID: list(s), schema.TS: list(t), schema.RAW_ID: list(r), schema.EVENT: list(e)},
        schema=schema.RAW_EVENTS,
    )


def test_click_histories_skip_purchases_and_later_events() -> None:
    click, buy = schema.EVENT_TYPES
    raw = _raw_events(
        [(7, 30, "c", click), (7, 10, "a", click), (7, 20, "b", click), (7, 21, "b", buy), (8, 5, "z", click)]
    )
    hist = _click_histories(raw, np.array([7, 7, 8]), np.array([30, 21, 5]))
    assert hist == [["a", "b"], ["a", "b"], []]


def test_action_ts_is_the_steps_event_of_its_session() -> None:
    events = pa.table(
        {
            schema.SESSION_ID: [2, 1, 1, 2],
            schema.TS: [50, 12, 10, 40],
            schema.ITEM_ID: [0, 1, 2, 3],
            schema.EVENT: ["click"] * 4,
        },
        schema=schema.EVENTS,
    )
    np.testing.assert_array_equal(_action_ts(events, np.array([1, 2, 1]), np.array([1, 0, 0])), [12, 40, 10])
    with pytest.raises(ValueError, match="fewer events"):
        _action_ts(events, np.array([1]), np.array([2]))
