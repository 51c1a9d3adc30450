"""BackboneConfig: which sequence encoder and its settings, without importing torch.

It lives outside ``learec.rllib_algos.backbones`` (whose package import loads every torch backbone) so that
run configs, the CLI's ``--help`` and config validation stay fast; the registry re-exports it.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Literal

from learec.platform.common.fields import Checked, opt

BackboneName = Literal["gru4rec", "caser", "nextitnet", "sasrec"]
BACKBONE_NAMES: tuple[str, ...] = typing.get_args(BackboneName)  # the registry holds exactly these


@dataclass(frozen=True)
class BackboneConfig(Checked):
    """Which sequence encoder and its settings; defaults follow the SQN-family code (notes/LEA.md §6)."""

    name: BackboneName = opt("gru4rec", "sequence encoder: gru4rec, caser, nextitnet or sasrec")
    hidden: int = opt(64, "item embedding size and state size (SQN code: 64)", gt=0)
    dropout: float = opt(
        0.1,
        "dropout rate: Caser on its pooled features, SASRec on embeddings, attention and FFN; "
        "GRU4Rec and NextItNet use none, as in the SQN code",
        ge=0,
        lt=1,
    )
    caser_filters: int = opt(16, "Caser: horizontal filters per height", gt=0)
    caser_heights: tuple[int, ...] = opt(
        (2, 3, 4), "Caser: heights (in items) of the horizontal filters", ge=1
    )
    caser_vertical: int = opt(1, "Caser: vertical filters (each a weighted sum over the L positions)", ge=0)
    nextitnet_dilations: tuple[int, ...] = opt(
        (1, 2, 1, 2, 1, 2),
        "NextItNet: dilation of each residual block (its second conv uses twice this)",
        ge=1,
    )
    nextitnet_kernel: int = opt(3, "NextItNet: width of the causal convolutions", ge=1)
    sasrec_blocks: int = opt(1, "SASRec: self-attention blocks", ge=1)
    sasrec_heads: int = opt(1, "SASRec: attention heads (must divide hidden)", ge=1)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.caser_heights or not self.nextitnet_dilations:
            raise ValueError("backbone.caser_heights and backbone.nextitnet_dilations must not be empty")
        if self.hidden % self.sasrec_heads:
            raise ValueError(
                f"backbone.sasrec_heads must divide hidden={self.hidden}, got {self.sasrec_heads}"
            )
