"""Item words: a word-level vocabulary of the catalogue text, one learned vector per word, shared by items.

An item token's row is learned only from the item's own transitions (a few per item in the LE's user
subset), so two items that share a category, a colour or a genre start unrelated and stay so unless both
are seen often. Word vectors are shared: every transition of an item trains the vectors of its words, and
through them every other item with the same words. The item vector of the state and reward models is

    e(j) = row(j) + mean_{w in words(j)} E_w

Words come from the text the LE already reads (``item_texts``: title + text), lower-cased, split into
letters or numbers; a number of two or more digits also gives its coarser form, the last digit dropped
(``1995`` -> ``199~``, ``4.2`` -> ``4.~``), so that close years or ratings share a word. In ``fields``
mode a sentence ``"Label: value"`` whose label recurs across the catalogue (``Category:``, ``Colour:``,
``Genres:``) qualifies the value's words (``colour:navy``), so the same word in two fields stays two
features; a label seen on few items (a title such as ``"Star Wars: ..."``) is read as plain text. The
vocabulary keeps words of at least ``min_items`` items (a word of one item adds nothing that item's row
cannot learn); it is built from the LE's item table, which holds training items only.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

WORD_MODES = ("off", "words", "fields")
# A field label must head a sentence on at least this share of the items to count as a field.
FIELD_MIN_SHARE = 0.1
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_FIELD = re.compile(r"^([A-Za-z][A-Za-z ]{0,29}):\s+(.*)$", re.DOTALL)
_WORD = re.compile(r"[0-9]+(?:\.[0-9]+)?|[a-z]+(?:['-][a-z0-9]+)*")


@dataclass(frozen=True)
class WordTable:
    words: tuple[str, ...]  # the vocabulary, in order of first appearance
    ids: torch.Tensor  # [n_items, W] int64 word ids of each item, right-padded with -1


def _sentences(text: str) -> list[tuple[str, str]]:
    """``(label, value)`` per sentence; the label is ``""`` when the sentence has none."""
    out = []
    for sentence in _SENTENCE.split(text.strip()):
        m = _FIELD.match(sentence)
        out.append((m.group(1).strip().lower(), m.group(2)) if m else ("", sentence))
    return out


def _words(value: str) -> list[str]:
    out = []
    for w in _WORD.findall(value.lower()):
        out.append(w)
        if w[0].isdigit() and sum(c.isdigit() for c in w) >= 2:
            out.append(w[:-1] + "~")
    return out


def text_words(texts: Sequence[str], mode: str) -> list[list[str]]:
    """Distinct words of each text (first-seen order); in ``fields`` mode qualified by recurring labels."""
    if mode not in WORD_MODES[1:]:
        raise ValueError(f"item words mode must be one of {', '.join(WORD_MODES[1:])}, got {mode!r}")
    parsed = [_sentences(t) for t in texts]
    labels: Counter[str] = Counter()
    for sentences in parsed:
        labels.update({label for label, _ in sentences if label})
    fields = {label for label, n in labels.items() if n >= max(2, FIELD_MIN_SHARE * len(texts))}
    out = []
    for sentences in parsed:
        words: list[str] = []
        for label, value in sentences:
            if label and label not in fields:  # a colon inside plain text: read the whole sentence
                value, label = f"{label} {value}", ""
            prefix = f"{label}:" if mode == "fields" and label else ""
            words += [prefix + w for w in _words(value)]
        out.append(list(dict.fromkeys(words)))
    return out


def word_table(texts: Sequence[str], mode: str, min_items: int) -> WordTable:
    """The vocabulary (words of at least ``min_items`` items) and each item's word ids."""
    per_item = text_words(texts, mode)
    counts = Counter(w for words in per_item for w in words)
    vocab = tuple(dict.fromkeys(w for words in per_item for w in words if counts[w] >= min_items))
    index = {w: i for i, w in enumerate(vocab)}
    kept = [[index[w] for w in words if w in index] for words in per_item]
    width = max(1, max((len(k) for k in kept), default=0))
    ids = torch.full((len(kept), width), -1, dtype=torch.long)
    for i, k in enumerate(kept):
        ids[i, : len(k)] = torch.tensor(k, dtype=torch.long)
    return WordTable(vocab, ids)


class ItemWords(nn.Module):
    """E: one vector per word; ``forward(items)`` is the mean word vector of each item (0 without words)."""

    def __init__(self, word_ids: torch.Tensor, n_words: int, dim: int) -> None:
        super().__init__()
        if word_ids.ndim != 2 or (word_ids.numel() and int(word_ids.max()) >= n_words):
            raise ValueError(f"word ids must be [n_items, W] ids below {n_words}, got {list(word_ids.shape)}")
        self.embedding = nn.Embedding(max(1, n_words), dim)
        self.register_buffer("word_ids", word_ids.long(), persistent=False)

    @property
    def n_words(self) -> int:
        return int(self.embedding.num_embeddings)

    def forward(self, items: torch.Tensor) -> torch.Tensor:  # [...] -> [..., e]
        ids = self.word_ids[items]  # [..., W]
        mask = (ids >= 0).to(self.embedding.weight.dtype)
        vecs = self.embedding(ids.clamp(min=0)) * mask[..., None]  # [..., W, e]
        return vecs.sum(-2) / mask.sum(-1, keepdim=True).clamp(min=1.0)

    @torch.no_grad()
    def init_from_tokens(self, words: Sequence[str], token_rows: Callable[[str], torch.Tensor]) -> None:
        """E_w = the mean of the base LM's input embeddings of the word's sub-word tokens."""
        for i, w in enumerate(words):
            self.embedding.weight[i] = token_rows(w.rsplit(":", 1)[-1]).mean(0)

    @torch.no_grad()
    def match_scale(self, rows: torch.Tensor) -> None:
        """Rescale E so that items' mean word vectors have the mean squared norm of their token ``rows``.

        The word part then starts with as much say in e(j) as the item's own row, on any backbone (the
        base LM's word embeddings are far smaller than the rows after the item-token phase on the tiny
        base)."""
        items = torch.arange(self.word_ids.shape[0], device=rows.device)
        has_words = (self.word_ids >= 0).any(1)
        if not has_words.any():
            return
        now = self(items)[has_words].pow(2).sum(-1).mean()
        target = rows[has_words].pow(2).sum(-1).mean()
        if now > 1e-12:
            self.embedding.weight.mul_(torch.sqrt(target / now))
