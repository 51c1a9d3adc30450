"""build_transitions: exact rows on hand-built sessions, and parity with a plain per-event loop."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from learec.platform.data import schema
from learec.platform.data.transitions import build_transitions

C, P = schema.CLICK, schema.PURCHASE


def events_table(rows: list[tuple[int, int, int, str]]) -> pa.Table:
    s, t, i, e = zip(*rows, strict=True)
    return pa.table(
        {schema.SESSION_ID: s, schema.TS: t, schema.ITEM_ID: i, schema.EVENT: e}, schema=schema.EVENTS
    )


def test_exact_rows_left_padding_and_lengths() -> None:
    # session 7: items 3, 4(buy), 0; session 9: items 2, 1
    ev = events_table([(7, 10, 3, C), (7, 11, 4, P), (7, 12, 0, C), (9, 5, 2, C), (9, 6, 1, C)])
    t = build_transitions(ev, n_items=5, state_len=2, reward_click=0.2, reward_purchase=1.0)
    assert t.schema == schema.transitions_schema(2)
    pad = 5
    expected = [
        dict(
            session_id=7,
            step=0,
            state=[pad, pad],
            len_state=0,
            action=3,
            is_buy=0,
            next_state=[pad, 3],
            len_next_state=1,
            done=False,
        ),
        dict(
            session_id=7,
            step=1,
            state=[pad, 3],
            len_state=1,
            action=4,
            is_buy=1,
            next_state=[3, 4],
            len_next_state=2,
            done=False,
        ),
        dict(
            session_id=7,
            step=2,
            state=[3, 4],
            len_state=2,
            action=0,
            is_buy=0,
            next_state=[4, 0],
            len_next_state=2,
            done=True,
        ),
        dict(
            session_id=9,
            step=0,
            state=[pad, pad],
            len_state=0,
            action=2,
            is_buy=0,
            next_state=[pad, 2],
            len_next_state=1,
            done=False,
        ),
        dict(
            session_id=9,
            step=1,
            state=[pad, 2],
            len_state=1,
            action=1,
            is_buy=0,
            next_state=[2, 1],
            len_next_state=2,
            done=True,
        ),
    ]
    got = t.to_pylist()
    for row, want in zip(got, expected, strict=True):
        reward = row.pop(schema.REWARD)
        assert row == want
        assert reward == pytest.approx(1.0 if want["is_buy"] else 0.2)


def test_single_event_session_is_done_with_empty_state() -> None:
    t = build_transitions(events_table([(1, 0, 2, P)]), n_items=3, state_len=4).to_pylist()
    assert t == [
        dict(
            session_id=1,
            step=0,
            state=[3, 3, 3, 3],
            len_state=0,
            action=2,
            is_buy=1,
            reward=1.0,
            next_state=[3, 3, 3, 2],
            len_next_state=1,
            done=True,
        )
    ]


def reference(items: list[int], sessions: list[int], buys: list[bool], n_items: int, L: int) -> list[dict]:
    """One loop per event, written for clarity: the definition the vectorised builder must match."""
    out, history, prev = [], [], None
    for k, (s, a, b) in enumerate(zip(sessions, items, buys, strict=True)):
        if s != prev:
            history, prev, step = [], s, 0
        last = k + 1 == len(sessions) or sessions[k + 1] != s
        state = history[-L:]
        nxt = (history + [a])[-L:]
        out.append(
            dict(
                session_id=s,
                step=step,
                state=[n_items] * (L - len(state)) + state,
                len_state=len(state),
                action=a,
                is_buy=int(b),
                reward=1.0 if b else 0.2,
                next_state=[n_items] * (L - len(nxt)) + nxt,
                len_next_state=len(nxt),
                done=last,
            )
        )
        history.append(a)
        step += 1
    return out


@pytest.mark.parametrize("state_len", [1, 3, 10])
def test_matches_per_event_loop(state_len: int) -> None:
    rng = np.random.default_rng(state_len)
    lengths = rng.integers(1, 25, size=60)
    sessions = np.repeat(np.arange(60) * 3, lengths).tolist()
    items = rng.integers(0, 17, size=len(sessions)).tolist()
    buys = (rng.random(len(sessions)) < 0.3).tolist()
    ev = events_table(
        [(s, k, i, P if b else C) for k, (s, i, b) in enumerate(zip(sessions, items, buys, strict=True))]
    )
    got = build_transitions(ev, n_items=17, state_len=state_len).to_pylist()
    for row in got:
        row[schema.REWARD] = round(row[schema.REWARD], 6)
    assert got == reference(items, sessions, buys, 17, state_len)


def test_keep_mask_emits_targets_with_full_history() -> None:
    ev = events_table([(1, k, k, C) for k in range(6)])
    full = build_transitions(ev, n_items=6, state_len=3)
    keep = np.zeros(6, dtype=bool)
    keep[[4, 5]] = True
    part = build_transitions(ev, n_items=6, state_len=3, keep=keep)
    assert part.to_pylist() == full.slice(4).to_pylist()
    assert part.column(schema.STATE).to_pylist() == [[1, 2, 3], [2, 3, 4]]


def test_rejects_unsorted_or_out_of_range_events() -> None:
    with pytest.raises(ValueError, match="sorted"):
        build_transitions(events_table([(2, 0, 1, C), (1, 1, 1, C)]), n_items=3)
    with pytest.raises(ValueError, match="sorted"):
        build_transitions(events_table([(1, 5, 1, C), (1, 1, 1, C)]), n_items=3)
    with pytest.raises(ValueError, match="item_id"):
        build_transitions(events_table([(1, 0, 3, C)]), n_items=3)
    with pytest.raises(ValueError, match="event other than"):
        build_transitions(events_table([(1, 0, 1, "view")]), n_items=3)


def test_empty_events_give_empty_table() -> None:
    empty = schema.EVENTS.empty_table()
    t = build_transitions(empty, n_items=3, state_len=4)
    assert t.num_rows == 0 and t.schema == schema.transitions_schema(4)


def test_equal_rewards_are_allowed_purchases_stay_marked_by_is_buy() -> None:
    """Evaluation tells purchases by ``is_buy``, so click and purchase may share a reward."""
    t = build_transitions(
        events_table([(1, 0, 1, C), (1, 1, 2, P)]), n_items=3, reward_click=1.0, reward_purchase=1.0
    )
    assert t.column(schema.REWARD).to_pylist() == [1.0, 1.0]
    assert t.column(schema.IS_BUY).to_pylist() == [0, 1]
