r"""DPO: direct preference optimisation of the served policy against a frozen reference policy (Rafailov
et al., "Direct Preference Optimization: Your Language Model is Secretly a Reward Model", NeurIPS 2023,
arXiv 2305.18290, eq. 7), with items as actions and one preference pair per logged state.

.. math::  L = \frac{1}{B} \sum_i \Big[ -\log \sigma\Big( \beta \Big(
           \log \frac{\pi_\theta(a^w_i \mid s_i)}{\pi_{ref}(a^w_i \mid s_i)}
           - \log \frac{\pi_\theta(a^l_i \mid s_i)}{\pi_{ref}(a^l_i \mid s_i)} \Big) \Big)
           + \lambda \, \mathrm{CE}(a_i) \Big]

``pi_theta`` is the softmax of the served network (backbone + CE head), initialised with the reference's
weights, so at the first step every margin is 0 and the loss is log 2. ``pi_ref`` is an exported CE
policy (``reference``), frozen: never updated, in eval mode, outside the optimiser and the export.
``beta * log(pi_theta / pi_ref)`` is DPO's implicit reward; its margin over the pair and the share of
pairs where it is positive are logged (``reward_margin``, ``pref_accuracy``).

Pairs (``pairs``): ``logged``: ``a^w`` = the logged next item, ``a^l`` = a uniform item other than it;
``le``: ``a^w`` = the LE reward model's best generated positive (``le_pos_actions[:, 0]``), ``a^l`` = a
uniform item outside the history, the LE's positives and the logged item, i.e. one the LE ranks below its
top k (the LE's lower positives would also do, but they are the items it likes next best, and teaching
the policy against them discards most of what the LE knows). No reward model enters the loss: the LE
only decides which item of the pair wins, the route of the WebShop DPO agent in Feng & Feng (arXiv
2408.16032), against LEA's reward-model route (``lea_*`` variants of the RL algorithms).

``lambda`` = ``ce_weight``, an optional anchor on the logged action (0 by default: the paper's objective;
the reference and ``beta`` already keep the policy near the logged behaviour).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from learec.platform.common.fields import opt
from learec.rllib_algos.common.params import AlgoParams

DPOPairs = Literal["auto", "logged", "le"]


@dataclass(frozen=True)
class DPOParams(AlgoParams):
    """``train.dpo``: ``beta``, the ``reference`` policy, where the ``pairs`` come from, ``ce_weight``."""

    beta: float = opt(0.1, "beta: scale of the implicit reward beta * log(pi / pi_ref)", gt=0)
    reference: str | None = opt(
        None,
        "exported CE policy folder (`learec train` with train.algo=ce writes <out>/policy): the frozen "
        "reference pi_ref and the starting weights; `learec run` fills it with its CE model of the same "
        "backbone and seed",
    )
    pairs: DPOPairs = opt(
        "auto",
        "preference pairs: logged (logged next item over a uniform item), le (the LE's best positive over "
        "an item the LE ranks below its top k; needs labels), auto: le when train.params.lea_augment_k "
        "> 0 (the lea variants of `learec run`), else logged",
        choices=("auto", "logged", "le"),
    )
    ce_weight: float = opt(0.0, "lambda: weight of CE on the logged action added to the DPO loss", ge=0)

    @property
    def reads_le_positives(self) -> bool:
        return self.pairs == "le"

    def le_pairs(self, lea_augment_k: int) -> bool:
        """Whether the preferred item is the LE's best positive (``pairs``, ``auto`` resolved)."""
        return self.pairs == "le" or (self.pairs == "auto" and lea_augment_k > 0)

    def reference_dir(self) -> str:
        """``reference``, or a ValueError saying how to give one."""
        if not self.reference:
            raise ValueError(
                "train.dpo.reference is not set: DPO needs an exported CE policy as its frozen reference "
                "(train one with `learec train` and train.algo=ce, then pass its <out>/policy folder)"
            )
        return self.reference
