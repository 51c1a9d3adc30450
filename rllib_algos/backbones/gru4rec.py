"""GRU4Rec (Hidasi et al., ICLR 2016, "Session-based Recommendations with Recurrent Neural Networks").

SQN-family settings: one GRU layer of ``hidden`` units over the item embeddings, run over the true
items only (TensorFlow ``dynamic_rnn`` with ``len_state``); the state is the final hidden state. No
dropout, as in the SQN code.

Left-padded input is shifted to right padding by index arithmetic, so ``pack_padded_sequence`` stops
each row after its last real item and the pad positions are never fed to the GRU.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from learec.rllib_algos.backbones.registry import BackboneConfig, SequenceEncoder, register


@register("gru4rec")
class GRU4Rec(SequenceEncoder):
    def __init__(self, config: BackboneConfig, n_items: int, state_len: int) -> None:
        super().__init__(config, n_items, state_len)
        self.gru = nn.GRU(config.hidden, config.hidden, batch_first=True)

    def encode(self, emb: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        length = emb.shape[1]
        # Right-padded view: step t of row b reads position L - len_b + t (clamped; steps >= len_b are
        # cut off by packing).
        steps = torch.arange(length, device=emb.device)[None, :] + (length - lengths)[:, None]  # [B, L]
        steps = steps.clamp(max=length - 1)
        right = emb.gather(1, steps[..., None].expand(-1, -1, emb.shape[2]))  # [B, L, H]
        # Packing needs length >= 1; an empty row then reads one zeroed pad step and is replaced by
        # empty_state in the base class.
        packed = pack_padded_sequence(
            right, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False
        )
        _, last = self.gru(packed)  # [1, B, H], rows in the original order
        return last[0]
