r"""CE: the supervised next-item baseline (softmax cross-entropy over all items), no Q head.

.. math::  L = \frac{1}{B} \sum_i \Big[ \mathrm{CE}(a_i)
           + \beta \sum_{g=1}^{k} \mathrm{CE}(a^{LE}_{ig}) \Big]

The LEA term (``beta`` = ``train.params.lea_ce_weight``, ``k`` = ``train.params.lea_augment_k``) is empty
unless LE positives are switched on.
"""

from __future__ import annotations

from dataclasses import dataclass

from learec.rllib_algos.common.params import AlgoParams


@dataclass(frozen=True)
class CEParams(AlgoParams):
    """CE reads only the shared ``train.params``; its own section ``train.ce`` has no fields."""
