"""State prompts as token ids: ``[bos] "history:" <item_a> <item_b> ... " next:"``, right-padded.

States arrive in the transitions layout: ``[B, L]`` item ids left-padded with ``pad_id = n_items`` and the
true length per row. Prompts are right-padded so that every real token keeps positions ``0..len-1`` and
the hidden state at the last real token does not depend on the batch's padding (batch-size invariance).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch


@dataclass(frozen=True)
class PromptBatch:
    input_ids: torch.Tensor  # [B, T] right-padded
    attention_mask: torch.Tensor  # [B, T] 1 on real tokens
    lengths: torch.Tensor  # [B] real tokens per prompt; the state is read at lengths - 1
    history: np.ndarray  # [B, H] the prompt's item ids, right-aligned, -1 where empty (see ``histories``)


class PromptBuilder:
    """Turns item-id histories into LE prompt ids (item ``i`` is token ``offset + i``)."""

    def __init__(self, tok: Any, offset: int, n_items: int, max_history: int) -> None:
        bos = [tok.bos_token_id] if tok.bos_token_id is not None else []
        self.prefix = np.asarray([*bos, *tok("history:", add_special_tokens=False)["input_ids"]], np.int64)
        self.suffix = np.asarray(tok(" next:", add_special_tokens=False)["input_ids"], np.int64)
        self.pad_token_id = int(tok.pad_token_id)
        self.offset, self.n_items, self.max_history = int(offset), int(n_items), int(max_history)

    def item_ids(self, items: np.ndarray) -> np.ndarray:
        """Token ids of dense item ids (any shape); raises on ids outside ``0..n_items-1``."""
        items = np.asarray(items, dtype=np.int64)
        if items.size and (items.min() < 0 or items.max() >= self.n_items):
            raise ValueError(f"item ids must be in 0..{self.n_items - 1}, got {items.min()}..{items.max()}")
        return items + self.offset

    def histories(self, states: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The last ``max_history`` real items per state: ``(tail [B, H], n [B])``, right-aligned, else -1."""
        states = np.asarray(states, dtype=np.int64)
        lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
        if states.ndim != 2 or states.shape[0] != lengths.shape[0]:
            raise ValueError(
                f"states must be [B, L] with lengths [B], got {states.shape} and {lengths.shape}"
            )
        if lengths.size and (lengths.min() < 0 or lengths.max() > states.shape[1]):
            raise ValueError(f"lengths must be in 0..{states.shape[1]}, got {lengths.min()}..{lengths.max()}")
        h = min(self.max_history, states.shape[1])
        tail = states[:, states.shape[1] - h :]  # [B, H]
        n = np.minimum(lengths, h)  # [B]
        real = np.arange(h)[None, :] >= (h - n)[:, None]  # [B, H]
        bad = real & ((tail < 0) | (tail >= self.n_items))
        if bad.any():
            raise ValueError(
                f"states hold item ids outside 0..{self.n_items - 1} within their lengths "
                f"(row {int(np.argwhere(bad)[0][0])}); states are left-padded with pad_id = n_items"
            )
        return np.where(real, tail, -1), n

    def build(self, states: np.ndarray, lengths: np.ndarray) -> PromptBatch:
        tail, n = self.histories(states, lengths)  # [B, H], [B]
        b, h = tail.shape
        p, s = len(self.prefix), len(self.suffix)
        total = p + n + s  # [B]
        width = int(total.max()) if b else p + s
        ids = np.full((b, width), self.pad_token_id, dtype=np.int64)
        ids[:, :p] = self.prefix
        rows, cols = np.nonzero(tail >= 0)  # row-major: each row's items in order
        pos = p + cols - (h - n[rows])
        ids[rows, pos] = tail[rows, cols] + self.offset
        srows = np.repeat(np.arange(b), s)
        scols = (p + n)[srows] + np.tile(np.arange(s), b)
        ids[srows, scols] = np.tile(self.suffix, b)
        mask = (np.arange(width)[None, :] < total[:, None]).astype(np.int64)
        return PromptBatch(
            torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(total.astype(np.int64)), tail
        )
