"""Item tokens: one new token ``<item_i>`` per dense item id, initialised from the item's text.

The tokens are added in dense-id order, so item ``i`` has token id ``offset + i`` (checked). Their input
rows start as the mean input embedding of the item's text tokens; training then generates the item's
text from ``"<item_i> is: {text}"`` (notes/LEA.md §3).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import torch

from learec.platform.data import schema


def item_token(item_id: int) -> str:
    return f"<item_{item_id}>"


def item_texts(items: pa.Table) -> list[str]:
    """One description per dense item id (``title. text``), in id order; missing ids are an error."""
    ids = np.asarray(items.column(schema.ITEM_ID).to_numpy(zero_copy_only=False), dtype=np.int64)
    n = len(ids)
    if n == 0:
        raise ValueError("items table is empty: the LE needs at least one item with text")
    if not np.array_equal(np.sort(ids), np.arange(n)):
        raise ValueError(f"items table: {schema.ITEM_ID} must be the dense ids 0..{n - 1}")
    titles = items.column(schema.TITLE).to_pylist()
    texts = items.column(schema.TEXT).to_pylist()
    out = [""] * n
    for i, title, text in zip(ids.tolist(), titles, texts, strict=True):
        parts = [p.strip() for p in (title, text) if p and p.strip()]
        out[i] = ". ".join(parts) if parts else f"item {i}"
    return out


def add_item_tokens(
    model: Any, tok: Any, texts: Sequence[str], max_text_tokens: int
) -> tuple[int, torch.Tensor]:
    """Add ``<item_i>`` tokens, resize the embeddings and set each new row to its text's mean embedding.

    Returns ``(offset, rows)``: item ``i`` is token ``offset + i``; ``rows [n_items, d]``: initial rows.
    """
    n = len(texts)
    before = len(tok)
    added = tok.add_tokens([item_token(i) for i in range(n)], special_tokens=True)
    offset = tok.convert_tokens_to_ids(item_token(0))
    if added != n or offset != before or tok.convert_tokens_to_ids(item_token(n - 1)) != before + n - 1:
        raise ValueError(
            f"item tokens must be new and contiguous; the tokenizer already had {n - added} of them"
        )
    model.resize_token_embeddings(len(tok), mean_resizing=False)
    emb = model.get_input_embeddings().weight  # [V, d]
    ids = tok(list(texts), add_special_tokens=False)["input_ids"]
    rows = torch.empty(n, emb.shape[1], dtype=emb.dtype)
    with torch.no_grad():
        for i, tokens in enumerate(ids):
            tokens = tokens[:max_text_tokens] or [tok.unk_token_id or 0]
            rows[i] = emb[torch.tensor(tokens)].mean(0)
        emb[offset : offset + n] = rows.to(emb.device)
    _zero_output_rows(model, offset, n)
    return offset, rows


def _zero_output_rows(model: Any, offset: int, n: int) -> None:
    """Untied LM heads get zero logits rows for item tokens (resizing would draw them from the global RNG)."""
    out = model.get_output_embeddings()
    if out is not None and out.weight.data_ptr() != model.get_input_embeddings().weight.data_ptr():
        with torch.no_grad():
            out.weight[offset : offset + n] = 0.0
            if getattr(out, "bias", None) is not None:
                out.bias[offset : offset + n] = 0.0


def set_item_rows(model: Any, offset: int, rows: torch.Tensor) -> None:
    """Write ``rows [n_items, d]`` into the input embedding (and a tied output) at the item tokens."""
    emb = model.get_input_embeddings().weight
    with torch.no_grad():
        emb[offset : offset + rows.shape[0]] = rows.to(emb.device, emb.dtype)
    _zero_output_rows(model, offset, rows.shape[0])


def text_batch(
    tok: Any, offset: int, item_ids: np.ndarray, texts: Sequence[str], max_text_tokens: int
) -> dict[str, torch.Tensor]:
    """Causal-LM batch for ``"<item_i> is: {text}"``: the loss covers the text tokens only (right-padded)."""
    head = tok(" is:", add_special_tokens=False)["input_ids"]
    bos = [tok.bos_token_id] if tok.bos_token_id is not None else []
    words = tok([" " + texts[i] for i in item_ids.tolist()], add_special_tokens=False)["input_ids"]
    seqs, labels = [], []
    for i, w in zip(item_ids.tolist(), words, strict=True):
        w = w[:max_text_tokens]
        prompt = [*bos, offset + i, *head]
        seqs.append(prompt + w)
        labels.append([-100] * len(prompt) + w)
    width = max(len(s) for s in seqs)
    input_ids = torch.full((len(seqs), width), tok.pad_token_id, dtype=torch.long)
    label_ids = torch.full((len(seqs), width), -100, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for r, (s, lab) in enumerate(zip(seqs, labels, strict=True)):
        input_ids[r, : len(s)] = torch.tensor(s)
        label_ids[r, : len(s)] = torch.tensor(lab)
        mask[r, : len(s)] = 1
    return {"input_ids": input_ids, "attention_mask": mask, "labels": label_ids}


def text_id_matrix(tok: Any, texts: Sequence[str], max_text_tokens: int) -> torch.Tensor:
    """``[n_items, Lt]`` int64 token ids of each item's text (first ``max_text_tokens``), right-padded -1."""
    ids = tok([" " + t for t in texts], add_special_tokens=False)["input_ids"]
    width = max(1, min(max_text_tokens, max(len(x) for x in ids)))
    out = torch.full((len(ids), width), -1, dtype=torch.long)
    for i, x in enumerate(ids):
        x = x[:width]
        out[i, : len(x)] = torch.tensor(x, dtype=torch.long)
    return out
