"""SASRec (Kang & McAuley, ICDM 2018, "Self-Attentive Sequential Recommendation").

Settings (SQN defaults): learned positional embeddings, ``sasrec_blocks = 1`` block of
``sasrec_heads = 1`` head, dropout 0.1 (embeddings, attention weights, FFN), causal self-attention and a
two-layer point-wise FFN, pre-layer-norm as in the reference code (the queries are normalised, keys and
values are not), a final layer norm; the state is the output at the last real position.

Padding: input is left-padded, so the last real position is always ``L - 1``, and positions count from
the end (the last item always has position 0), so a history gets the same positions whatever its
padding. Pad positions are zeroed after the embedding and after every block. A query attends to real
keys at or before it, and always to itself: a pad query (or the last position of an empty history) then
has one key, so the softmax never sees an all-masked row and never yields NaN, while real queries never
attend to pads.
"""

from __future__ import annotations

import torch
from torch import nn

from learec.rllib_algos.backbones.registry import BackboneConfig, SequenceEncoder, register


class SelfAttentionBlock(nn.Module):
    def __init__(self, hidden: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.attn_norm = nn.LayerNorm(hidden)
        self.attn = nn.MultiheadAttention(hidden, heads, dropout=dropout, batch_first=True)
        self.ffn_norm = nn.LayerNorm(hidden)
        self.ffn = nn.Sequential(
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor, blocked: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """``x [B, L, H]``, ``blocked [B*heads, L, L]`` (True = may not attend), ``keep [B, L, 1]``."""
        q = self.attn_norm(x)
        attended, _ = self.attn(q, x, x, attn_mask=blocked, need_weights=False)
        x = q + attended
        x = x + self.ffn(self.ffn_norm(x))
        return x * keep


@register("sasrec")
class SASRec(SequenceEncoder):
    def __init__(self, config: BackboneConfig, n_items: int, state_len: int) -> None:
        super().__init__(config, n_items, state_len)
        self.position_embedding = nn.Embedding(state_len, config.hidden)  # index 0 = the last item
        nn.init.normal_(self.position_embedding.weight, mean=0.0, std=0.01)
        self.dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(
            SelfAttentionBlock(config.hidden, config.sasrec_heads, config.dropout)
            for _ in range(config.sasrec_blocks)
        )
        self.final_norm = nn.LayerNorm(config.hidden)

    def encode(self, emb: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        length = emb.shape[1]
        keep = mask[..., None].to(emb.dtype)  # [B, L, 1]
        from_end = torch.arange(length - 1, -1, -1, device=emb.device)  # [L]
        x = self.dropout(emb + self.position_embedding(from_end)[None]) * keep  # [B, L, H]
        steps = torch.arange(length, device=emb.device)
        causal = steps[None, :] <= steps[:, None]  # [Lq, Lk]
        allowed = causal[None] & (mask[:, None, :] | torch.eye(length, dtype=torch.bool, device=emb.device))
        blocked = (~allowed).repeat_interleave(self.blocks[0].heads, dim=0)  # [B*heads, L, L]
        for block in self.blocks:
            x = block(x, blocked, keep)
        return self.final_norm(x[:, -1])  # [B, H]
