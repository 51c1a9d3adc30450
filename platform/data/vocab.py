"""The item vocabulary: raw item ids <-> dense ``item_id`` 0..n_items-1, fitted on the training split only.

Dense ids follow the lexicographic order of the raw id strings (what a label encoder over strings gives),
so the vocabulary depends only on the set of training items, not on event order. ``pad_id = n_items``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from learec.platform.data import schema


@dataclass(frozen=True)
class Vocabulary:
    raw_ids: pa.Array  # [n_items] string, dense id -> raw id

    @classmethod
    def fit(cls, train_raw_ids: pa.Array | pa.ChunkedArray) -> Vocabulary:
        """The vocabulary of the distinct raw ids in ``train_raw_ids`` (training events only)."""
        unique = pc.unique(train_raw_ids.cast(pa.string()))
        if isinstance(unique, pa.ChunkedArray):
            unique = unique.combine_chunks()
        return cls(unique.take(pc.sort_indices(unique)))

    @property
    def n_items(self) -> int:
        return len(self.raw_ids)

    @property
    def pad_id(self) -> int:
        return self.n_items

    def encode(self, raw_ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """[N] int64 dense ids; -1 for raw ids outside the vocabulary (unseen in training)."""
        index = pc.index_in(raw_ids.cast(pa.string()), value_set=self.raw_ids)
        return pc.fill_null(index, -1).to_numpy().astype(np.int64)

    def items_table(self, raw_items: pa.Table) -> pa.Table:
        """``schema.ITEMS`` rows for the vocabulary, in dense order, described by ``raw_items``.

        A raw id listed several times keeps its first row. Missing (null or empty) text falls back to the
        title, then to the raw id, so every item has some text for the LE to learn from; items absent from
        ``raw_items`` get a null title.
        """
        raw = raw_items.column(schema.RAW_ID).combine_chunks().cast(pa.string())
        codes = raw.dictionary_encode().indices.to_numpy(zero_copy_only=False)
        _, first = np.unique(codes, return_index=True)
        first.sort()
        described = raw_items.take(first)
        index = pc.index_in(self.raw_ids, value_set=described.column(schema.RAW_ID).cast(pa.string()))
        title = _blank_to_null(described.column(schema.TITLE).cast(pa.string()).take(index))
        text = _blank_to_null(described.column(schema.TEXT).cast(pa.string()).take(index))
        text = pc.coalesce(text, title, self.raw_ids)
        return pa.Table.from_arrays(
            [pa.array(np.arange(self.n_items, dtype=np.int64)), self.raw_ids, title, text],
            schema=schema.ITEMS,
        )


def _blank_to_null(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(values), ""), False)
    return pc.if_else(blank, pa.scalar(None, pa.string()), values)
