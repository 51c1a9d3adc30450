"""One SQN network: a sequence encoder with a supervised (CE) head and a Q head over all items.

Plain torch (no RLlib), so the RLModule, the reference loss and the benchmark's plain loop share it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from learec.rllib_algos.backbones.registry import BackboneConfig, build
from learec.rllib_algos.common.le_fusion import LEFusion


@dataclass(frozen=True)
class NetOutput:
    logits: torch.Tensor  # [B, N] CE head on the backbone state
    q: torch.Tensor | None  # [B, N] Q head on the (possibly LE-fused) state; None without a Q head


def lengths_from_pad(seq: torch.Tensor, pad_id: int) -> torch.Tensor:
    """True history lengths of left-padded states: the number of non-pad ids; ``[B, L] -> [B]``.

    Derived rather than read from ``len_state`` so that a batch needs no extra column and the length can
    never disagree with the padding the encoder sees.
    """
    return (seq != pad_id).sum(-1)


class RecNetwork(nn.Module):
    """``encoder -> z [B, H]``; ``ce_head(z)``; ``q_head(fusion(z, le_state) or z)``."""

    def __init__(
        self,
        backbone: BackboneConfig,
        n_items: int,
        state_len: int,
        *,
        with_q: bool = True,
        le_state: str = "none",
        le_state_dim: int = 0,
    ) -> None:
        super().__init__()
        self.n_items = n_items
        self.state_len = state_len
        self.encoder = build(backbone, n_items, state_len)
        hidden = backbone.hidden
        self.ce_head = nn.Linear(hidden, n_items)
        self.q_head = nn.Linear(hidden, n_items) if with_q else None
        self.fusion = LEFusion(le_state, hidden, le_state_dim) if with_q and le_state != "none" else None

    def state(self, seq: torch.Tensor) -> torch.Tensor:
        seq = seq.long()
        return self.encoder(seq, lengths_from_pad(seq, self.n_items))  # [B, H]

    def q_state(self, z: torch.Tensor, le_state: torch.Tensor | None) -> torch.Tensor:
        if self.fusion is None:
            return z
        if le_state is None:
            raise ValueError("le_state fusion needs the le_state column in the batch")
        return self.fusion(z, le_state)

    def forward(
        self, seq: torch.Tensor, le_state: torch.Tensor | None = None, *, with_logits: bool = True
    ) -> NetOutput:
        z = self.state(seq)
        logits = self.ce_head(z) if with_logits else None
        q = self.q_head(self.q_state(z, le_state)) if self.q_head is not None else None
        return NetOutput(logits=logits, q=q)

    def scores(self, seq: torch.Tensor) -> torch.Tensor:
        """Serving scores: the CE head on the backbone state; ``[B, L] -> [B, N]``."""
        return self.ce_head(self.state(seq))
