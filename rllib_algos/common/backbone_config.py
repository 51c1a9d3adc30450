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
    hidden: int = opt(64, "item embedding size and state size (SQN code: 64)", le=8192)
    dropout: float = opt(
        0.1,
        "dropout rate: Caser on its pooled features, SASRec on embeddings, attention and FFN; "
        "GRU4Rec and NextItNet use none, as in the SQN code",
    )
    caser_filters: int = opt(16, "Caser: horizontal filters per height")
    caser_heights: tuple[int, ...] = opt((2, 3, 4), "Caser: heights (in items) of the horizontal filters")
    caser_vertical: int = opt(1, "Caser: vertical filters (each a weighted sum over the L positions)")
    nextitnet_dilations: tuple[int, ...] = opt(
        (1, 2, 1, 2, 1, 2), "NextItNet: dilation of each residual block (its second conv uses twice this)"
    )
    nextitnet_kernel: int = opt(3, "NextItNet: width of the causal convolutions")
    sasrec_blocks: int = opt(1, "SASRec: self-attention blocks")
    sasrec_heads: int = opt(1, "SASRec: attention heads (must divide hidden)")

    def __post_init__(self) -> None:
        super().__post_init__()  # declared bounds (opt ge/le)
        known = BACKBONE_NAMES
        if self.name not in known:
            raise ValueError(f"backbone.name must be one of {', '.join(known)}, got {self.name!r}")
        if self.hidden <= 0:
            raise ValueError(f"backbone.hidden must be > 0, got {self.hidden}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"backbone.dropout must be in [0, 1), got {self.dropout}")
        if self.caser_filters <= 0:
            raise ValueError(f"backbone.caser_filters must be > 0, got {self.caser_filters}")
        if not self.caser_heights or min(self.caser_heights) < 1:
            raise ValueError(f"backbone.caser_heights must be positive integers, got {self.caser_heights}")
        if self.caser_vertical < 0:
            raise ValueError(f"backbone.caser_vertical must be >= 0, got {self.caser_vertical}")
        if not self.nextitnet_dilations or min(self.nextitnet_dilations) < 1:
            raise ValueError(
                f"backbone.nextitnet_dilations must be positive integers, got {self.nextitnet_dilations}"
            )
        if self.nextitnet_kernel < 1:
            raise ValueError(f"backbone.nextitnet_kernel must be >= 1, got {self.nextitnet_kernel}")
        if self.sasrec_blocks < 1:
            raise ValueError(f"backbone.sasrec_blocks must be >= 1, got {self.sasrec_blocks}")
        if self.sasrec_heads < 1 or self.hidden % self.sasrec_heads:
            raise ValueError(
                f"backbone.sasrec_heads must be >= 1 and divide hidden={self.hidden}, got {self.sasrec_heads}"
            )
