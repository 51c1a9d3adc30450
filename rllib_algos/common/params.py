"""Hyper-parameters: the shared ones (:class:`RecRLParams`) and the bases of each algorithm's own fields.

Every algorithm reads the shared block ``train.params`` plus its own section (``train.sqn``, ...), a
frozen dataclass in its folder (``<algo>/params.py``) built on :class:`AlgoParams`. Defaults are plain
defaults on the class that owns the field. The SQN-family defaults follow the public code of Xin et al.
(SIGIR 2020, WSDM 2022), see ``notes/LEA.md`` §6; the LE switches follow LEA (Wang et al., SIGIR 2024),
§4 there. Torch- and Ray-free, so the CLI and config files build these cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from learec.platform.common.fields import Checked, opt
from learec.rllib_algos.common.backbone_config import BackboneConfig

LeState = Literal["none", "concat", "gate"]
LeReward = Literal["none", "replace", "shape"]
QMode = Literal["none", "double", "polyak"]
LeaRewardSource = Literal["constant", "le_affine", "le_sigmoid"]
LEA_REWARD_SOURCES: tuple[str, ...] = ("constant", "le_affine", "le_sigmoid")


@dataclass(frozen=True)
class RecRLParams(Checked):
    """Shared by every algorithm: the encoder, the optimiser, the discount and the LE hooks."""

    backbone: BackboneConfig = opt(BackboneConfig(), "sequence encoder (gru4rec, caser, nextitnet, sasrec)")
    lr: float = opt(0.005, "Adam learning rate (SQN PyTorch port 0.005; SNQN/SA2C papers 0.01)", gt=0)
    batch_size: int = opt(256, "transitions per gradient step and learner", ge=1, le=1_000_000)
    gamma: float = opt(0.5, "discount; sessions are short, the SQN papers use 0.5", ge=0, lt=1)
    le_state: LeState = opt("none", "LE state hook: none, concat or gate fusion into the Q head's state")
    le_reward: LeReward = opt(
        "none", "LE reward hook: none, replace r by le_reward, or shape r + c*le_reward"
    )
    shape_coeff: float = opt(0.1, "c in r + c*le_reward when le_reward is 'shape'")
    lea_augment_k: int = opt(
        0, "LEA: LE positive actions per row used as extra CE targets and TD transitions", ge=0
    )
    lea_ce_weight: float = opt(
        0.01,
        "beta: weight of the CE term of each LE positive; every tuned LEA sweep chose the smallest weight "
        "it tried (0.011) and larger ones trade the logged target for the LE's items (EXPERIMENTS.md)",
        ge=0,
    )
    lea_reward: float | None = opt(
        None,
        "reward of an LE positive in its TD transition when lea_reward_source is constant; none: the click "
        "reward, prep.reward_click",
    )
    lea_reward_source: LeaRewardSource = opt(
        "constant",
        "reward of each LE positive in its TD transition: constant (lea_reward for all), or its LE reward "
        "z (le_pos_rewards, normalised like le_reward) on the logged scale: le_affine = the least-squares "
        "line from the logged rows' le_reward to their reward, clipped to [0, largest logged reward]; "
        "le_sigmoid = largest logged reward * sigmoid(z)",
        choices=LEA_REWARD_SOURCES,
    )
    grad_clip: float = opt(0.0, "global gradient-norm clip; 0 disables it (the papers do not clip)", ge=0)

    @property
    def uses_labels(self) -> bool:
        """Whether the batch must carry the LE label columns."""
        return self.le_state != "none" or self.le_reward != "none" or self.lea_augment_k > 0


@dataclass(frozen=True)
class AlgoParams(Checked):
    """Base of an algorithm's own section; its properties tell the shared RLModule what to build."""

    @property
    def q_mode(self) -> QMode:
        """``none``: no Q head; ``double``: two learning networks, a coin flip; ``polyak``: a target copy."""
        return "none"

    @property
    def negatives_per_row(self) -> int:
        """Uniform negatives the learner draws per row (their TD bootstraps from the current state)."""
        return 0

    @property
    def reads_le_positives(self) -> bool:
        """Whether the section itself reads ``le_pos_actions`` (whatever ``lea_augment_k`` says)."""
        return False


@dataclass(frozen=True)
class QLearningParams(AlgoParams):
    """Fields of every algorithm with a TD term: its weight and how the target network is kept."""

    q_loss_weight: float = opt(1.0, "w in CE + w*TD; 0 trains no Q head", ge=0)
    double_q: bool = opt(
        True,
        "paper-faithful double Q: two networks, a coin flip per batch picks the one that learns and the "
        "one that evaluates the target; false: one learning network and a Polyak copy (tau)",
    )
    tau: float = opt(0.01, "Polyak rate of the target copy when double_q is false", gt=0, le=1)

    @property
    def q_mode(self) -> QMode:
        if self.q_loss_weight == 0:
            return "none"
        return "double" if self.double_q else "polyak"


@dataclass(frozen=True)
class NegativeSamplingParams(QLearningParams):
    """A TD term plus uniform negatives with reward 0 (SNQN's, which SA2C's advantage also reads)."""

    n_negatives: int = opt(10, "uniform negatives per positive in the TD term, reward 0", ge=1)

    @property
    def negatives_per_row(self) -> int:
        return self.n_negatives
