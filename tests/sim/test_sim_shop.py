"""The synthetic shop: determinism, schemas, session statistics, text and the ground-truth behaviour."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import pytest

from learec.platform.common.fields import from_dict
from learec.platform.data import schema
from learec.platform.data.raw import RawLogs
from learec.platform.sim import shop as shop_module
from learec.platform.sim.catalogue import CATEGORIES, COLOURS, PRICE_BANDS
from learec.platform.sim.shop import USER_ID, ShopConfig, ShopLogs, SyntheticShop

SMALL = ShopConfig(n_items=200, n_users=150, n_sessions=400)


@pytest.fixture(scope="module")
def shop() -> SyntheticShop:
    return SyntheticShop(SMALL)


@pytest.fixture(scope="module")
def logs(shop: SyntheticShop) -> ShopLogs:
    return shop.generate()


def _clicks_by_session(logs: ShopLogs) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for row in logs.events.filter(pa.compute.equal(logs.events[schema.EVENT], schema.CLICK)).to_pylist():
        out.setdefault(row[schema.SESSION_ID], []).append(row[schema.RAW_ID])
    return out


def test_same_config_gives_identical_tables(logs: ShopLogs) -> None:
    again = SyntheticShop(SMALL).generate()
    assert again.events.equals(logs.events)
    assert again.items.equals(logs.items)
    assert again.sessions.equals(logs.sessions)


def test_other_seed_changes_world_and_sessions(shop: SyntheticShop, logs: ShopLogs) -> None:
    other_world = SyntheticShop(ShopConfig(n_items=200, n_users=150, n_sessions=400, seed=1))
    assert not other_world.items().equals(shop.items())
    assert not other_world.generate().events.equals(logs.events)
    other_sessions = shop.generate(seed=1)
    assert other_sessions.items.equals(logs.items)  # generate(seed=...) keeps the world
    assert not other_sessions.events.equals(logs.events)


def test_tables_follow_the_schemas(shop: SyntheticShop, logs: ShopLogs) -> None:
    assert logs.events.schema.equals(schema.RAW_EVENTS)
    assert logs.items.schema.equals(schema.ITEMS)
    assert logs.items[schema.ITEM_ID].to_pylist() == list(range(SMALL.n_items))
    assert logs.items[schema.RAW_ID].to_pylist() == shop.raw_ids == [f"sku-{i:04d}" for i in range(200)]
    assert set(logs.events[schema.EVENT].to_pylist()) == {schema.CLICK, schema.PURCHASE}
    assert set(logs.events[schema.RAW_ID].to_pylist()) <= set(shop.raw_ids)
    assert logs.sessions.column_names == [schema.SESSION_ID, USER_ID]
    assert logs.sessions[schema.SESSION_ID].to_pylist() == list(range(SMALL.n_sessions))
    users = logs.sessions[USER_ID].to_numpy()
    assert users.min() >= 0 and users.max() < SMALL.n_users
    raw = logs.to_raw()
    assert isinstance(raw, RawLogs) and raw.source == "synthetic-shop" and raw.user_level is False


def test_session_lengths_and_timestamps(logs: ShopLogs) -> None:
    clicks = np.array([len(v) for v in _clicks_by_session(logs).values()])
    assert len(clicks) == SMALL.n_sessions
    assert clicks.min() >= SMALL.min_session_len and clicks.max() <= SMALL.max_session_len
    assert abs(clicks.mean() - SMALL.mean_session_len) < 0.15 * SMALL.mean_session_len
    session = logs.events[schema.SESSION_ID].to_numpy()
    ts = logs.events[schema.TS].to_numpy()
    same = session[1:] == session[:-1]
    assert (np.diff(session) >= 0).all(), "rows are grouped by session, in session order"
    assert (np.diff(ts)[same] > 0).all(), "timestamps strictly increase within a session"
    first_ts = ts[np.r_[True, ~same]]
    assert (np.diff(first_ts) >= 0).all(), "session ids follow start time"
    assert first_ts[0] >= SMALL.start_ts and ts.max() < SMALL.start_ts + SMALL.span_days * 86400 + 86400


def test_purchase_share_and_purchase_follows_its_click(logs: ShopLogs) -> None:
    rows = logs.events.to_pylist()
    is_buy = np.array([r[schema.EVENT] == schema.PURCHASE for r in rows])
    assert 0.05 <= is_buy.mean() <= 0.15
    for i in np.nonzero(is_buy)[0]:
        prev = rows[i - 1]
        assert prev[schema.EVENT] == schema.CLICK
        assert prev[schema.SESSION_ID] == rows[i][schema.SESSION_ID]
        assert prev[schema.RAW_ID] == rows[i][schema.RAW_ID]


def test_text_carries_category_and_attributes(shop: SyntheticShop) -> None:
    cat = shop.catalogue
    items = shop.items().to_pylist()
    for i, row in enumerate(items):
        dept, product, noun, materials, styles = CATEGORIES[cat.category[i]]
        text, title = row[schema.TEXT], row[schema.TITLE]
        assert f"Category: {dept} > {product}." in text
        assert f"Colour: {COLOURS[cat.colour[i]]}." in text
        assert f"Material: {materials[cat.material[i]]}." in text
        assert f"Style: {styles[cat.style[i]]}." in text
        assert f"Price band: {PRICE_BANDS[cat.price_band[i]]}." in text
        assert f"Rating: {cat.rating()[i]:.1f}/5." in text
        assert (
            title.lower().split()
            == f"{COLOURS[cat.colour[i]]} {materials[cat.material[i]]} {styles[cat.style[i]]} {noun}".split()
        )
    # every latent factor is readable from text: items with equal text differ only by a small residual
    texts = [r[schema.TEXT] for r in items]
    for a in range(len(texts)):
        for b in range(a + 1, len(texts)):
            if texts[a] == texts[b]:
                assert np.linalg.norm(cat.vectors[a] - cat.vectors[b]) < 0.5


def test_history_in_a_category_raises_its_utility(shop: SyntheticShop) -> None:
    cat = shop.catalogue
    users = np.arange(40)
    gains = []
    for c in range(SMALL.n_categories):
        members = np.nonzero(cat.category == c)[0]
        history = [shop.raw_ids[i] for i in members[:5]]
        before = shop.true_utility(users, [[]] * len(users))
        after = shop.true_utility(users, [history] * len(users))
        unseen_in_c = np.setdiff1d(members, members[:5])
        others = np.nonzero(cat.category != c)[0]
        gain_c = (after[:, unseen_in_c] - before[:, unseen_in_c]).mean()
        gain_other = (after[:, others] - before[:, others]).mean()
        assert gain_c > gain_other
        gains.append(gain_c)
    assert np.mean(gains) > 0.3


def test_no_drift_means_only_viewed_items_change() -> None:
    shop = SyntheticShop(ShopConfig(n_items=60, n_users=10, drift=0.0, repeat_penalty=1.25))
    history = ["sku-0003", "sku-0007", "sku-0003"]
    users = np.arange(10)
    before = shop.true_utility(users, [[]] * 10)
    after = shop.true_utility(users, [history] * 10)
    delta = before - after
    np.testing.assert_allclose(delta[:, [3, 7]], 1.25, rtol=1e-5)
    assert np.abs(np.delete(delta, [3, 7], axis=1)).max() < 1e-5


def test_purchase_probability_is_a_sigmoid_of_utility(shop: SyntheticShop) -> None:
    users = np.array([0, 1, 2])
    histories = [[], ["sku-0001"], ["sku-0002", "sku-0005"]]
    u = shop.true_utility(users, histories)
    p = shop.purchase_probability(users, histories)
    assert u.shape == p.shape == (3, SMALL.n_items)
    expected = 1 / (1 + np.exp(-(u - SMALL.purchase_bias) / SMALL.purchase_temperature))
    np.testing.assert_allclose(p, expected, rtol=1e-5)
    assert ((p >= 0) & (p <= 1)).all()


def _logged_clicks(logs: ShopLogs) -> tuple[np.ndarray, list[list[str]], list[str], np.ndarray]:
    """Every logged click as (user, in-session click prefix, clicked raw id, bought?)."""
    user_of = dict(
        zip(logs.sessions[schema.SESSION_ID].to_pylist(), logs.sessions[USER_ID].to_pylist(), strict=True)
    )
    by_session: dict[int, list[tuple[str, str]]] = {}
    for r in logs.events.to_pylist():
        by_session.setdefault(r[schema.SESSION_ID], []).append((r[schema.RAW_ID], r[schema.EVENT]))
    users, prefixes, items, bought = [], [], [], []
    for sid, rows in by_session.items():
        prefix: list[str] = []
        for j, (raw, event) in enumerate(rows):
            if event != schema.CLICK:
                continue
            users.append(user_of[sid])
            prefixes.append(list(prefix))
            items.append(raw)
            bought.append(j + 1 < len(rows) and rows[j + 1][1] == schema.PURCHASE)
            prefix.append(raw)
    return np.array(users), prefixes, items, np.array(bought)


def test_logged_purchases_match_the_ground_truth(shop: SyntheticShop, logs: ShopLogs) -> None:
    """Parity between the vectorised generator and ``true_utility``: the purchase probability that the
    ground truth gives each logged click (after its in-session prefix) predicts the logged purchases,
    purchased clicks have higher utility, and clicks are far above the catalogue's mean utility."""
    users, prefixes, items, bought = _logged_clicks(logs)
    rows, idx = np.arange(len(items)), shop.index_of(items)
    util_all = shop.true_utility(users, prefixes)
    util = util_all[rows, idx]
    prob = shop.purchase_probability(users, prefixes)[rows, idx]
    se = np.sqrt(prob.mean() * (1 - prob.mean()) / len(prob))
    assert abs(prob.mean() - bought.mean()) < 4 * se + 0.005
    assert util[bought].mean() > util[~bought].mean() + 0.3
    assert util.mean() > util_all.mean() + 1.0, "users click by utility"


def test_logs_carry_the_taste_drift(shop: SyntheticShop, logs: ShopLogs) -> None:
    """The drifting ground truth explains the logs better than the same world without drift (it fails if
    the generator and ``true_utility`` disagree on drift): clicks rank higher and purchases are likelier."""
    users, prefixes, items, bought = _logged_clicks(logs)
    rows, idx = np.arange(len(items)), shop.index_of(items)
    static = SyntheticShop(dataclasses.replace(SMALL, drift=0.0))
    fit = []
    for model in (shop, static):
        util = model.true_utility(users, prefixes)
        z = ((util[rows, idx] - util.mean(1)) / util.std(1)).mean()
        prob = model.purchase_probability(users, prefixes)[rows, idx]
        fit.append((z, np.mean(np.where(bought, np.log(prob), np.log1p(-prob)))))
    (z_drift, ll_drift), (z_static, ll_static) = fit
    assert z_drift > z_static + 0.2
    assert ll_drift > ll_static


def test_index_of_and_bad_input(shop: SyntheticShop) -> None:
    np.testing.assert_array_equal(shop.index_of(["sku-0005", "sku-0000"]), [5, 0])
    np.testing.assert_array_equal(shop.index_of(["sku-0005", "nope", 7], strict=False), [5, -1, -1])
    with pytest.raises(ValueError, match="unknown item ids"):
        shop.index_of(["nope"])
    with pytest.raises(ValueError, match="user_ids"):
        shop.true_utility(np.array([0, 1]), [[]])
    with pytest.raises(ValueError, match="user_ids"):
        shop.true_utility(np.array([SMALL.n_users]), [[]])
    with pytest.raises(ValueError, match="n_sessions"):
        shop.generate(n_sessions=0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"drift": 1.5}, "drift"),
        ({"n_categories": 99}, "n_categories"),
        ({"n_items": 4, "n_categories": 8}, "n_items"),
        ({"min_session_len": 10, "mean_session_len": 5.0}, "mean_session_len"),
        ({"choice_temperature": 0.0}, "choice_temperature"),
        ({"logging_category_share": -0.1}, "logging_category_share"),
    ],
)
def test_config_validation_names_the_field(changes: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        from_dict(ShopConfig, changes)


def test_search_in_row_blocks_gives_the_same_logs(monkeypatch: pytest.MonkeyPatch, logs: ShopLogs) -> None:
    """Large catalogues are scored in row blocks to bound memory; blocking must not change the logs."""
    monkeypatch.setattr(shop_module, "_CELLS_PER_BLOCK", 3 * SMALL.n_items)  # 3 rows per block
    assert SyntheticShop(SMALL).generate().events.equals(logs.events)
