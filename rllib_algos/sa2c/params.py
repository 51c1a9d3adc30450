r"""SA2C: supervised advantage actor-critic (Xin et al., WSDM 2022, arXiv 2111.03474).

Until ``warmup_steps`` gradient steps the loss is SNQN's. Afterwards the CE (actor) rows are weighted by
the critic's advantage, and the learning rate may drop to ``lr_after_warmup`` (paper: 0.01 -> 0.001):

.. math::  L = \frac{1}{B} \sum_i \Big[ A_i\, \mathrm{CE}(a_i) + w \big(\mathrm{TD}^+_i
           + \sum_j \mathrm{TD}^-_{ij}\big) \Big],\quad
           A_i = \mathrm{clip}\Big(Q(s_i, a_i) - \mathrm{mean}\big(Q(s_i, a_i), Q(s_i, a^-_{i1..N})\big),
           0, 10\Big)

with ``A`` held constant (stop-gradient). The IPS factor of the paper's code defaults to 1
(``smooth`` 0) and is left out. LEA positives keep their beta-weighted, unweighted-by-A CE terms.
"""

from __future__ import annotations

from dataclasses import dataclass

from learec.platform.common.fields import opt
from learec.rllib_algos.common.params import NegativeSamplingParams


@dataclass(frozen=True)
class SA2CParams(NegativeSamplingParams):
    """``train.sa2c``: SNQN's fields plus the warm-up, the lr after it and the advantage clip."""

    warmup_steps: int = opt(
        2000,
        "gradient steps of plain SNQN before the CE term is weighted by the advantage. The paper uses "
        "15,000 (about 3 epochs of RetailRocket at batch 256); 2,000 is about 10 epochs of a 50k-row log, "
        "enough for the critic to rank actions before it weights the actor",
        ge=0,
    )
    lr_after_warmup: float = opt(0.001, "learning rate after warm-up (paper 0.001); 0 keeps lr", ge=0)
    advantage_min: float = opt(0.0, "lower clip of the advantage")
    advantage_max: float = opt(10.0, "upper clip of the advantage")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.q_loss_weight <= 0:
            raise ValueError("sa2c needs a critic: q_loss_weight must be > 0")
        if self.advantage_min > self.advantage_max:
            raise ValueError(
                f"advantage_min ({self.advantage_min}) must be <= advantage_max ({self.advantage_max})"
            )
