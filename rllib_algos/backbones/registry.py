"""Sequence encoders shared by every algorithm: config, base class, registry.

Contract (all backbones):

- ``seq`` LongTensor ``[B, L]`` with ``L == state_len``: item ids LEFT-padded with ``pad_id = n_items``.
- ``lengths`` LongTensor ``[B]``: number of real items, ``0 <= lengths <= L``. The mask is built from
  ``lengths`` (the last ``lengths[b]`` positions are real), not from the ids.
- returns FloatTensor ``[B, hidden]``.

Padding never reaches the output: pad positions are zeroed right after the lookup and every backbone
masks them again where its own layers could move information across time. An empty history
(``lengths == 0``) returns the learned vector ``empty_state`` (initialised to zeros), so it is finite and
independent of the padding; the SQN code instead reads the pad row's embedding with ``len_state = 1``,
which is also one learned vector per model.

Backbones register themselves with ``@register("name")``; importing
``learec.rllib_algos.backbones`` (which any import of this module does first) loads all of them.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable

import torch
from torch import nn

from learec.rllib_algos.common.backbone_config import BackboneConfig
from learec.rllib_algos.common.backbone_config import BackboneName as BackboneName  # re-exported

logger = logging.getLogger(__name__)


class SequenceEncoder(nn.Module, abc.ABC):
    """Base of all backbones: ``forward(seq [B, L], lengths [B]) -> [B, hidden]``.

    Subclasses implement :meth:`encode` on embeddings whose pad positions are already zero; the base
    class checks shapes, builds the mask and substitutes ``empty_state`` for empty histories.
    """

    def __init__(self, config: BackboneConfig, n_items: int, state_len: int) -> None:
        super().__init__()
        if n_items < 1:
            raise ValueError(f"n_items must be >= 1, got {n_items}")
        if state_len < 1:
            raise ValueError(f"state_len must be >= 1, got {state_len}")
        self.config = config
        self.hidden = config.hidden
        self.n_items = n_items
        self.state_len = state_len
        self.pad_id = n_items
        self.item_embedding = nn.Embedding(n_items + 1, config.hidden, padding_idx=n_items)
        nn.init.normal_(self.item_embedding.weight, mean=0.0, std=0.01)  # as the SQN code
        with torch.no_grad():
            self.item_embedding.weight[n_items].zero_()
        self.empty_state = nn.Parameter(torch.zeros(config.hidden))

    @abc.abstractmethod
    def encode(self, emb: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``emb [B, L, H]`` (zero at pads), ``mask [B, L]`` (True = real), ``lengths [B]`` -> ``[B, H]``.

        Must be finite for every row, including ``lengths == 0`` (those rows are replaced afterwards).
        """

    def forward(self, seq: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        if seq.dim() != 2 or seq.shape[1] != self.state_len:
            raise ValueError(f"seq must have shape [B, {self.state_len}], got {tuple(seq.shape)}")
        if lengths.shape != seq.shape[:1]:
            raise ValueError(f"lengths must have shape [{seq.shape[0]}], got {tuple(lengths.shape)}")
        positions = torch.arange(self.state_len, device=seq.device)  # [L]
        mask = positions[None, :] >= (self.state_len - lengths)[:, None]  # [B, L] real items at the end
        emb = self.item_embedding(seq) * mask[..., None].to(self.item_embedding.weight.dtype)  # [B, L, H]
        state = self.encode(emb, mask, lengths)  # [B, H]
        return torch.where((lengths > 0)[:, None], state, self.empty_state.to(state.dtype))


_REGISTRY: dict[str, type[SequenceEncoder]] = {}


def register(name: str) -> Callable[[type[SequenceEncoder]], type[SequenceEncoder]]:
    """Class decorator: make a :class:`SequenceEncoder` buildable as ``BackboneConfig(name=name)``."""

    def add(cls: type[SequenceEncoder]) -> type[SequenceEncoder]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"backbone {name!r} is already registered by {_REGISTRY[name].__qualname__}")
        _REGISTRY[name] = cls
        return cls

    return add


def names() -> list[str]:
    """Registered backbone names, sorted."""
    return sorted(_REGISTRY)


def build(config: BackboneConfig, n_items: int, state_len: int) -> SequenceEncoder:
    """A fresh encoder for ``n_items`` items (pad id ``n_items``) and states of ``state_len`` items."""
    if config.name not in _REGISTRY:
        raise ValueError(f"unknown backbone {config.name!r}; known backbones: {', '.join(names())}")
    encoder = _REGISTRY[config.name](config, n_items, state_len)
    logger.debug("built %s: %d parameters", config.name, count_parameters(encoder))
    return encoder


def count_parameters(module: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) scalar parameters of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
