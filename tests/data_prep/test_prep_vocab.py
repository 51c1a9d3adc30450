"""The vocabulary: fitted on train only, deterministic order, item text fallbacks."""

from __future__ import annotations

import pyarrow as pa

from learec.platform.data import schema
from learec.platform.data.vocab import Vocabulary


def test_fit_sorts_distinct_raw_ids_and_encodes_unseen_as_minus_one() -> None:
    vocab = Vocabulary.fit(pa.array(["b", "a", "c", "a", "b"]))
    assert vocab.raw_ids.to_pylist() == ["a", "b", "c"] and vocab.pad_id == 3
    assert vocab.encode(pa.array(["c", "zz", "a"])).tolist() == [2, -1, 0]
    assert Vocabulary.fit(pa.array(["c", "b", "a"])).raw_ids.equals(vocab.raw_ids)


def test_items_table_text_falls_back_to_title_then_raw_id() -> None:
    raw_items = pa.table(
        {
            schema.ITEM_ID: [-1] * 4,
            schema.RAW_ID: ["a", "b", "a", "x"],
            schema.TITLE: ["A", "B", "dup", None],
            schema.TEXT: ["about a", "  ", "dup text", "x text"],
        },
        schema=schema.ITEMS,
    )
    items = Vocabulary.fit(pa.array(["c", "b", "a"])).items_table(raw_items)
    assert items.schema == schema.ITEMS
    assert items.to_pylist() == [
        dict(item_id=0, raw_id="a", title="A", text="about a"),  # first row of a duplicated raw id wins
        dict(item_id=1, raw_id="b", title="B", text="B"),  # blank text -> title
        dict(item_id=2, raw_id="c", title=None, text="c"),  # undescribed item -> raw id
    ]
