"""The experiment variants as data: each name's LE switches and its label in reports (LEA.md §4).

The LE hooks are switches of every RL algorithm; a variant only says which are on. How many LE positives
the ``lea*`` variants add per row is ``experiment.lea_augment_k``, their one setting; they differ in the
TD reward of a positive (``train.params.lea_reward_source``): ``lea`` gives each the constant
``lea_reward``, ``lea_affine`` and ``lea_sigmoid`` its own LE reward on the logged scale
(``rllib_algos/common/lea_rewards.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from learec.rllib_algos.common.params import LeaRewardSource, LeReward, LeState


@dataclass(frozen=True)
class Variant:
    name: str
    label: str  # appended to the algorithm's name in reports: "SQN" + "+LEA"
    le_state: LeState = "none"
    le_reward: LeReward = "none"
    le_positives: bool = False  # LE positive actions as extra CE targets and TD transitions
    lea_reward_source: LeaRewardSource = "constant"  # the TD reward of an LE positive

    def switches(self, lea_augment_k: int) -> dict[str, Any]:
        """The ``train.params`` fields this variant sets."""
        return {
            "le_state": self.le_state,
            "le_reward": self.le_reward,
            "lea_augment_k": lea_augment_k if self.le_positives else 0,
            "lea_reward_source": self.lea_reward_source,
        }


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("base", ""),
        Variant("le_state", "+LE-state", le_state="concat"),
        Variant("le_reward", "+LE-reward", le_reward="shape"),
        Variant("le", "+LE", le_state="concat", le_reward="shape"),
        Variant("lea", "+LEA", le_state="concat", le_reward="shape", le_positives=True),
        Variant(
            "lea_affine",
            "+LEA-affine",
            le_state="concat",
            le_reward="shape",
            le_positives=True,
            lea_reward_source="le_affine",
        ),
        Variant(
            "lea_sigmoid",
            "+LEA-sigmoid",
            le_state="concat",
            le_reward="shape",
            le_positives=True,
            lea_reward_source="le_sigmoid",
        ),
    )
}
