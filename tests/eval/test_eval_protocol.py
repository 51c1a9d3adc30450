"""The SQN evaluation protocol: hand-computed HR/NDCG per event type, batching, ties, seeds."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from learec.platform.common.fields import from_dict
from learec.platform.data import schema
from learec.platform.eval.baselines import random_score_fn
from learec.platform.eval.protocol import (
    EvalConfig,
    aggregate_seeds,
    evaluate,
    format_mean_std,
    parse_metric_key,
    rank_transitions,
)

N_ITEMS = 4
PAD = N_ITEMS
# scores by the last item of the state (row PAD for an empty state)
TABLE = np.array(
    [
        [0.1, 0.2, 0.3, 0.4],  # after item 0: ranks 3, 2, 1, 0
        [0.9, 0.1, 0.5, 0.7],  # after item 1: ranks 0, 3, 2, 1
        [0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0],
        [0.4, 0.3, 0.2, 0.1],  # empty state: ranks 0, 1, 2, 3
    ]
)


def table_scorer(state: np.ndarray, len_state: np.ndarray) -> np.ndarray:
    return TABLE[state[:, -1]]


@pytest.fixture
def five_events(make_transitions):
    # target ranks: clicks [1, 0, 0], purchases [3, 2]
    return make_transitions(
        states=[[PAD, PAD], [PAD, 0], [0, 1], [PAD, 1], [PAD, PAD]],
        actions=[1, 3, 1, 2, 0],
        is_buy=[0, 0, 1, 1, 0],
        n_items=N_ITEMS,
    )


def test_hand_computed_clicks_and_purchases(five_events) -> None:
    got = evaluate(table_scorer, five_events, N_ITEMS, EvalConfig(ks=(1, 2, 3, 4)))
    want = {
        "n/click": 3.0,
        "n/purchase": 2.0,
        "hr@1/click": 2 / 3,
        "ndcg@1/click": 2 / 3,
        "hr@2/click": 1.0,
        "ndcg@2/click": (1 / math.log2(3) + 2) / 3,
        "hr@1/purchase": 0.0,
        "hr@2/purchase": 0.0,
        "ndcg@2/purchase": 0.0,
        "hr@3/purchase": 0.5,
        "ndcg@3/purchase": 0.25,  # rank 2 (1-based 3): 1/log2(4) over 2 purchases
        "hr@4/purchase": 1.0,
        "ndcg@4/purchase": (1 / math.log2(5) + 0.5) / 2,
    }
    # New-item groups: every click target is outside its state; of the purchases only row 3 (rank 2) is.
    want |= {
        "n/new_click": 3.0,
        "n/new_purchase": 1.0,
        "hr@1/new_click": 2 / 3,
        "hr@2/new_purchase": 0.0,
        "hr@3/new_purchase": 1.0,
        "ndcg@3/new_purchase": 0.5,
    }
    # All events together: ranks [1, 0, 3, 2, 0] over the five targets.
    want |= {
        "n/all": 5.0,
        "hr@1/all": 2 / 5,
        "hr@2/all": 3 / 5,
        "hr@4/all": 1.0,
        "ndcg@4/all": (1 / math.log2(3) + 1 + 1 / math.log2(5) + 0.5 + 1) / 5,
    }
    for key, value in want.items():
        assert got[key] == pytest.approx(value), key
    # 5 counts + {hr, ndcg} x {click, purchase, all, new_click, new_purchase} x 4 ks + coverage@4
    assert len(got) == 5 + 2 * 5 * 4 + 1


def test_keys_are_stable_and_parseable(five_events) -> None:
    got = evaluate(table_scorer, five_events, N_ITEMS)
    assert {"hr@10/click", "ndcg@10/purchase", "hr@5/purchase", "ndcg@20/click"} <= set(got)
    assert parse_metric_key("ndcg@10/purchase") == ("ndcg", 10, "purchase")
    assert parse_metric_key("n/click") is None
    assert parse_metric_key("ndcg@10/new_purchase") == ("ndcg", 10, "new_purchase")
    assert parse_metric_key("ndcg@10/all") == ("ndcg", 10, "all")
    assert parse_metric_key("coverage@20") is None
    assert {"hr@10/new_click", "n/new_purchase", "coverage@20"} <= set(got)


def test_perfect_scorer_gets_one(make_transitions) -> None:
    n_items, rng = 30, np.random.default_rng(1)
    last = rng.integers(0, n_items, 60)
    states = [[n_items, int(i)] for i in last]
    actions = ((last + 1) % n_items).tolist()

    def oracle(state: np.ndarray, len_state: np.ndarray) -> np.ndarray:
        return np.eye(n_items)[(state[:, -1] + 1) % n_items]

    got = evaluate(
        oracle, make_transitions(states, actions, (last % 3 == 0).astype(int).tolist(), n_items), n_items
    )
    assert all(v == 1.0 for k, v in got.items() if parse_metric_key(k) is not None)


def test_constant_scorer_is_not_perfect(five_events) -> None:
    got = evaluate(lambda s, n: np.ones((len(s), N_ITEMS)), five_events, N_ITEMS, EvalConfig(ks=(1, 3)))
    assert got["hr@1/click"] == 0.0 and got["hr@3/purchase"] == 0.0


def _random_events(make_transitions, rows: int, n_items: int, seed: int):
    rng = np.random.default_rng(seed)
    states = rng.integers(0, n_items + 1, (rows, 3))
    return make_transitions(
        states.tolist(),
        rng.integers(0, n_items, rows).tolist(),
        (rng.random(rows) < 0.3).astype(int).tolist(),
        n_items,
    )


def test_batch_size_does_not_change_results(make_transitions) -> None:
    n_items = 50
    table = _random_events(make_transitions, 300, n_items, seed=2)
    emb = np.random.default_rng(3).normal(size=(n_items + 1, 8))
    emb[n_items] = 0.0
    items = np.random.default_rng(4).normal(size=(8, n_items))
    seen: list[int] = []

    def scorer(state: np.ndarray, len_state: np.ndarray) -> np.ndarray:
        seen.append(len(state))
        return (emb[state].sum(1) @ items).astype(np.float32)

    full = evaluate(scorer, table, n_items, EvalConfig(batch_size=1024))
    assert seen == [300]
    seen.clear()
    one = evaluate(scorer, table, n_items, EvalConfig(batch_size=1))
    assert seen == [1] * 300
    seen.clear()
    assert evaluate(scorer, table, n_items, EvalConfig(batch_size=7)) == full
    assert max(seen) == 7
    assert one == full


def test_random_scorer_hits_k_over_n(make_transitions) -> None:
    n_items = 50
    table = _random_events(make_transitions, 2000, n_items, seed=5)
    got = evaluate(random_score_fn(n_items, seed=0), table, n_items, EvalConfig(ks=(10,), batch_size=256))
    assert got["hr@10/click"] == pytest.approx(10 / n_items, abs=0.04)
    assert got["hr@10/purchase"] == pytest.approx(10 / n_items, abs=0.05)


def test_exclude_history_ranks_state_items_last(make_transitions) -> None:
    n_items = 5

    def likes_history(state: np.ndarray, len_state: np.ndarray) -> np.ndarray:
        scores = np.tile(np.linspace(0.0, 0.1, n_items), (len(state), 1))
        for row, items in enumerate(state):
            scores[row, items[items < n_items]] = 1.0
        return scores

    table = make_transitions([[n_items, 3], [n_items, 2]], [4, 4], [0, 1], n_items)
    kept, _ = rank_transitions(likes_history, table, n_items)
    excluded, _ = rank_transitions(likes_history, table, n_items, EvalConfig(exclude_history=True))
    assert kept.tolist() == [1, 1]  # item 4 is the best non-history item, behind the one history item
    assert excluded.tolist() == [0, 0]
    repeat = make_transitions([[n_items, 2]], [2], [0], n_items)  # target already in the state
    assert rank_transitions(likes_history, repeat, n_items, EvalConfig(exclude_history=True))[0].tolist() == [
        4
    ]


def test_empty_event_type_gives_nan_not_zero(make_transitions) -> None:
    table = make_transitions([[N_ITEMS, N_ITEMS]], [0], [0], N_ITEMS)
    got = evaluate(table_scorer, table, N_ITEMS)
    assert got["n/purchase"] == 0.0 and math.isnan(got["hr@10/purchase"])
    assert got["hr@10/click"] == 1.0


def test_bad_inputs_name_the_problem(five_events) -> None:
    with pytest.raises(ValueError, match="no column 'is_buy'"):
        evaluate(table_scorer, five_events.drop_columns([schema.IS_BUY]), N_ITEMS)
    with pytest.raises(ValueError, match=r"score_fn returned shape \(5, 3\)"):
        evaluate(lambda s, n: np.zeros((len(s), 3)), five_events, N_ITEMS)
    with pytest.raises(ValueError, match="outside"):
        evaluate(table_scorer, five_events, N_ITEMS - 1)
    for bad, says in (
        ({"ks": ()}, "eval.ks must list at least one cut-off"),
        ({"ks": (0, 5)}, r"ks must be in \[1, 100000\], got \(0, 5\)"),
        ({"ks": (5, 5)}, "eval.ks must not repeat a cut-off"),
        ({"batch_size": 0}, r"batch_size must be in \[1, 1000000\], got 0"),
        ({"metrics": ("mrr",)}, "eval.metrics: unknown metric 'mrr'"),
    ):
        with pytest.raises(ValueError, match=says):
            EvalConfig(**bad)


def test_variable_length_list_states_are_read(five_events) -> None:
    cast = five_events.cast(
        five_events.schema.set(
            five_events.schema.get_field_index(schema.STATE), pa.field(schema.STATE, pa.list_(pa.int32()))
        )
    )
    assert evaluate(table_scorer, cast, N_ITEMS) == evaluate(table_scorer, five_events, N_ITEMS)


def test_aggregate_seeds_mean_and_sample_std() -> None:
    agg = aggregate_seeds([{"hr@10/click": 0.2, "n/click": 5.0}, {"hr@10/click": 0.4, "n/click": 5.0}])
    assert agg["hr@10/click"][0] == pytest.approx(0.3)
    assert agg["hr@10/click"][1] == pytest.approx(math.sqrt(0.02))  # ddof=1
    assert agg["n/click"] == (5.0, 0.0)
    single = aggregate_seeds([{"hr@10/click": 0.2}])
    assert single["hr@10/click"][0] == 0.2 and math.isnan(single["hr@10/click"][1])
    with pytest.raises(ValueError, match="other metric keys"):
        aggregate_seeds([{"a": 1.0}, {"b": 1.0}])
    with pytest.raises(ValueError, match="at least one"):
        aggregate_seeds([])


def test_format_mean_std() -> None:
    assert format_mean_std(0.12345, 0.00678) == "0.1235 ± 0.0068"
    assert format_mean_std(0.5, math.nan, digits=2) == "0.50"
    assert format_mean_std(math.nan, math.nan) == "–"


def test_eval_config_reads_yaml_values() -> None:
    cfg = from_dict(EvalConfig, {"ks": "1, 10", "batch_size": "64"}, where="run.yaml: eval")
    assert cfg.ks == (1, 10) and cfg.batch_size == 64
    with pytest.raises(ValueError, match=r"run.yaml: eval: ks must be in \[1, 100000\]"):
        from_dict(EvalConfig, {"ks": [0]}, where="run.yaml: eval")


def test_eval_imports_stay_light() -> None:
    """No torch (models wrap themselves) and no matplotlib until a report is drawn."""
    code = (
        "import sys, learec.platform.eval.protocol, learec.platform.eval.baselines; "
        "import learec.platform.eval.report; "
        "print(','.join(m for m in ('torch', 'matplotlib', 'ray') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_new_item_groups_and_beyond_accuracy(make_transitions) -> None:
    """A scorer that always ranks the last state item first wins on repeats and loses on new items."""
    n_items = 6
    table = make_transitions(
        states=[[n_items, 2], [2, 3], [n_items, 4], [1, 5]],
        actions=[2, 3, 0, 0],  # the purchases repeat the last state item, the clicks are new
        is_buy=[1, 1, 0, 0],
        n_items=n_items,
    )

    def repeat_last(state: np.ndarray, len_state: np.ndarray) -> np.ndarray:
        scores = np.tile(-np.arange(n_items, dtype=float), (len(state), 1))  # ties broken towards low ids
        scores[np.arange(len(state)), state[:, -1]] = 10.0
        return scores

    popularity = np.array([0, 0, 10, 10, 0, 0])
    got = evaluate(repeat_last, table, n_items, EvalConfig(ks=(1, 2)), item_popularity=popularity)
    assert got["n/new_click"] == 2.0 and got["n/new_purchase"] == 0.0
    assert got["hr@1/purchase"] == 1.0  # both purchases repeat the last item
    assert got["hr@1/click"] == 0.0 and got["hr@1/new_click"] == 0.0
    assert math.isnan(got["hr@1/new_purchase"])
    # top-2 lists: [2, 0], [3, 0], [4, 0], [5, 0] -> 5 of 6 items
    assert got["coverage@2"] == pytest.approx(5 / 6)
    share = (popularity + 1) / (popularity.sum() + n_items)
    want = -np.log2(share[[2, 0, 3, 0, 4, 0, 5, 0]]).mean()
    assert got["novelty@2"] == pytest.approx(want)


def test_an_empty_target_group_is_reported_once(monkeypatch, caplog) -> None:
    """Training validates every epoch: a log without purchases warns once, not once per validation."""
    from learec.platform.eval import protocol

    monkeypatch.setattr(protocol, "_WARNED_EMPTY", set())
    ranks, is_buy = np.array([0, 3]), np.array([False, False])
    with caplog.at_level("WARNING", logger=protocol.__name__):
        for _ in range(3):
            got = protocol.metrics_from_ranks(ranks, is_buy, EvalConfig(ks=(1,)))
    assert math.isnan(got["hr@1/purchase"]) and got["hr@1/click"] == 0.5
    assert [r.getMessage() for r in caplog.records].count(
        "no purchase events to evaluate: purchase metrics are NaN"
    ) == 1
