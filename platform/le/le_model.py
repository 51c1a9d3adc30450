"""The LE as one torch module: causal LM (+ LoRA) with item tokens, state projection W and score head f.

One prompt pass gives the state (hidden state at the prompt's last token) and a KV cache; rewards of any
number of actions per prompt are then one more decoder step: the cache is repeated per action and each
action token is appended at position ``len`` (it sees the prompt, never the padding). Training and
inference share this path, so there is no train/serve mismatch to test away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from learec.platform.le.backbone import decoder_of
from learec.platform.le.item_words import ItemWords
from learec.platform.le.prompts import PromptBatch, PromptBuilder
from learec.platform.le.reward_model import ScoreHead
from learec.platform.le.state_model import StateProjection


@dataclass
class Encoded:
    hidden: torch.Tensor  # [B, d] last-layer hidden state at the prompt's last token
    cache: Any  # transformers Cache over the prompt
    prompt: PromptBatch


class LEModel(nn.Module):
    def __init__(
        self,
        lm: Any,
        prompts: PromptBuilder,
        hidden: int,
        item_dim: int,
        reward_state_term: bool = False,
        sim_init: float = 0.0,
        text_ids: torch.Tensor | None = None,
        history_pool: bool = False,
        item_words: ItemWords | None = None,
        words_in_prompt: bool = False,
        row_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.lm = lm
        self.prompts = prompts
        self.state_proj = StateProjection(hidden, item_dim, history_pool)
        self.score_head = ScoreHead(hidden, sim_init if reward_state_term else 0.0)
        self.reward_state_term = bool(reward_state_term)
        # [n, Lt] token ids of each item's text (pad = -1): item vectors add their mean token embedding.
        self.register_buffer("text_ids", text_ids, persistent=False)
        # Shared word vectors of the catalogue text (item_words.py); optionally fed to the decoder too.
        self.item_words = item_words
        self.words_in_prompt = bool(words_in_prompt and item_words is not None)
        # Training only: an item's own row is dropped at this rate so its shared words learn the ranking
        # (with item words only: without them a dropped item would have no vector at all).
        self.row_dropout = float(row_dropout)
        self.tokens_processed = 0

    @property
    def n_items(self) -> int:
        return self.prompts.n_items

    @property
    def device(self) -> torch.device:
        return self.state_proj.proj.weight.device

    def item_embeddings(self) -> torch.Tensor:
        """e(j) for all items: the effective input rows of the item tokens (LoRA token deltas included)."""
        ids = torch.arange(self.n_items, device=self.device) + self.prompts.offset
        return self.lm.get_input_embeddings()(ids)  # [n, e]

    def item_vectors(self, items: torch.Tensor | None = None) -> torch.Tensor:
        """e(j) of the state model and the reward's similarity term: ``[n, e]`` (or ``items.shape + [e]``).

        The item token's row, plus the mean word vector of the item's text (``item_words``) and/or the mean
        input embedding of its text tokens (``text_ids``): words and tokens are shared by items, so what
        one item's transitions teach them reaches every item with the same words (category, colour, ...),
        which a per-item row alone cannot do.
        """
        if items is None:
            items = torch.arange(self.n_items, device=self.device)
        emb = self.lm.get_input_embeddings()
        rows = emb(items + self.prompts.offset)  # [..., e]
        if self.training and self.row_dropout > 0 and self.item_words is not None:
            keep = torch.rand(items.shape, device=rows.device) >= self.row_dropout
            rows = rows * keep[..., None].to(rows.dtype) / (1.0 - self.row_dropout)
        if self.item_words is not None:
            rows = rows + self.item_words(items)
        if self.text_ids is None:
            return rows
        ids = self.text_ids[items]  # [..., Lt]
        mask = (ids >= 0).to(rows.dtype)
        text = emb(ids.clamp(min=0)) * mask[..., None]  # [..., Lt, e]
        return rows + text.sum(-2) / mask.sum(-1, keepdim=True).clamp(min=1.0)

    def _decoder_inputs(self, ids: torch.Tensor) -> dict[str, torch.Tensor]:
        """``input_ids``, or (``words_in_prompt``) input embeddings where item tokens add their words."""
        if not self.words_in_prompt:
            return {"input_ids": ids}
        embeds = self.lm.get_input_embeddings()(ids)  # [B, T, d]
        items = ids - self.prompts.offset
        is_item = (items >= 0) & (items < self.n_items)
        words = self.item_words(items.clamp(0, self.n_items - 1))  # type: ignore[misc]
        return {"inputs_embeds": embeds + words * is_item[..., None].to(embeds.dtype)}

    def encode(self, states: np.ndarray, lengths: np.ndarray) -> Encoded:
        prompt = self.prompts.build(states, lengths)
        ids = prompt.input_ids.to(self.device)
        mask = prompt.attention_mask.to(self.device)
        out = decoder_of(self.lm)(**self._decoder_inputs(ids), attention_mask=mask, use_cache=True)
        last = (prompt.lengths - 1).to(self.device)
        hidden = out.last_hidden_state[torch.arange(ids.shape[0], device=self.device), last]  # [B, d]
        self.tokens_processed += int(prompt.lengths.sum())
        return Encoded(hidden, out.past_key_values, prompt)

    def state(self, enc: Encoded) -> torch.Tensor:
        """S_t = W s_t (+ U · mean item vector of the history): ``[B, e]``, in item-embedding space."""
        pooled = None
        if self.state_proj.history is not None:
            history = torch.from_numpy(enc.prompt.history).to(self.device)  # [B, H], -1 where empty
            real = (history >= 0).to(enc.hidden.dtype)
            vecs = self.item_vectors(history.clamp(min=0)) * real[..., None]  # [B, H, e]
            pooled = vecs.sum(1) / real.sum(1, keepdim=True).clamp(min=1.0)
        return self.state_proj(enc.hidden, pooled)

    def rewards(self, enc: Encoded, actions: torch.Tensor) -> torch.Tensor:
        """Raw rewards f(h(prompt ⊕ <item_a>)) (+ β·<S_t, e(a)>) for ``actions [B, M]`` -> ``[B, M]``.

        Consumes ``enc.cache`` (it is repeated in place), so call once per ``encode``.
        """
        b, m = actions.shape
        if (actions < 0).any() or (actions >= self.n_items).any():
            raise ValueError(f"actions must be item ids in 0..{self.n_items - 1}")
        cache = enc.cache
        if m > 1:
            cache.batch_repeat_interleave(m)
        mask = enc.prompt.attention_mask.to(self.device).repeat_interleave(m, dim=0)  # [B*M, T]
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)  # [B*M, T+1]
        pos = enc.prompt.lengths.to(self.device).repeat_interleave(m)[:, None]  # [B*M, 1]
        ids = (actions.reshape(-1, 1) + self.prompts.offset).to(self.device)  # [B*M, 1]
        out = decoder_of(self.lm)(
            **self._decoder_inputs(ids),
            attention_mask=mask,
            position_ids=pos,
            past_key_values=cache,
            use_cache=True,
        )
        self.tokens_processed += b * m
        r = self.score_head(out.last_hidden_state[:, -1]).reshape(b, m)
        if not self.reward_state_term:
            return r
        emb = self.item_vectors(actions.to(self.device))  # [B, M, e]
        sim = (emb @ self.state(enc)[:, :, None]).squeeze(-1)  # [B, M]
        return r + self.score_head.sim_weight * sim
