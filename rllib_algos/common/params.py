"""Hyper-parameters shared by CE, SQN, SNQN and SA2C (one dataclass; algorithms change defaults only).

The SQN-family defaults follow the public code of Xin et al. (SIGIR 2020, WSDM 2022), see
``notes/LEA.md`` §6; the LE switches follow LEA (Wang et al., SIGIR 2024), §4 there.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from learec.platform.common.fields import opt
from learec.rllib_algos.common.backbone_config import BackboneConfig

LeState = Literal["none", "concat", "gate"]
# Fields whose default differs per algorithm: None means "the algorithm's own", so an explicit value
# equal to another algorithm's default is never silently replaced.
ALGO_DEFAULT_FIELDS = ("q_loss_weight", "n_negatives", "lr_after_warmup")
LeReward = Literal["none", "replace", "shape"]


@dataclass(frozen=True)
class RecRLParams:
    """Shared by CE, SQN, SNQN and SA2C; each algorithm's config only changes the defaults."""

    backbone: BackboneConfig = opt(BackboneConfig(), "sequence encoder (gru4rec, caser, nextitnet, sasrec)")
    lr: float = opt(0.005, "Adam learning rate (SQN PyTorch port 0.005; SNQN/SA2C papers 0.01)")
    batch_size: int = opt(256, "transitions per gradient step and learner", le=1_000_000)
    gamma: float = opt(0.5, "discount; sessions are short, the SQN papers use 0.5")
    q_loss_weight: float | None = opt(
        None, "w in CE + w*TD; none: the algorithm's default (CE 0, the others 1)"
    )
    n_negatives: int | None = opt(
        None, "uniform negatives per positive in TD, reward 0; none: the algorithm's (SQN 0, SNQN/SA2C 10)"
    )
    double_q: bool = opt(
        True,
        "paper-faithful double Q: two networks, a coin flip per batch picks the one that learns and the "
        "one that evaluates the target; false: one learning network and a Polyak copy (tau)",
    )
    tau: float = opt(0.01, "Polyak rate of the target copy when double_q is false")
    warmup_steps: int = opt(
        2000,
        "SA2C: gradient steps of plain SNQN before the CE term is weighted by the advantage. The paper "
        "uses 15,000 (about 3 epochs of RetailRocket at batch 256); 2,000 is about 10 epochs of a 50k-row "
        "log, enough for the critic to rank actions before it weights the actor",
    )
    lr_after_warmup: float | None = opt(
        None, "SA2C: learning rate after warm-up, 0 keeps lr; none: the algorithm's (SA2C 0.001, paper)"
    )
    advantage_min: float = opt(0.0, "SA2C: lower clip of the advantage")
    advantage_max: float = opt(10.0, "SA2C: upper clip of the advantage")
    le_state: LeState = opt("none", "LE state hook: none, concat or gate fusion into the Q head's state")
    le_reward: LeReward = opt(
        "none", "LE reward hook: none, replace r by le_reward, or shape r + c*le_reward"
    )
    shape_coeff: float = opt(0.1, "c in r + c*le_reward when le_reward is 'shape'")
    lea_augment_k: int = opt(
        0, "LEA: LE positive actions per row used as extra CE targets and TD transitions"
    )
    lea_ce_weight: float = opt(0.1, "beta: weight of the CE terms of the LE positives")
    lea_reward: float = opt(
        0.2,
        "reward of an LE positive in its TD transition (the labels carry one le_reward per logged "
        "action, none per generated action; 0.2 is the click reward)",
    )
    grad_clip: float = opt(0.0, "global gradient-norm clip; 0 disables it (the papers do not clip)")

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if not 0.0 <= self.gamma < 1.0:
            raise ValueError(f"gamma must be in [0, 1), got {self.gamma}")
        if self.q_loss_weight is not None and self.q_loss_weight < 0:
            raise ValueError(f"q_loss_weight must be >= 0, got {self.q_loss_weight}")
        if self.n_negatives is not None and self.n_negatives < 0:
            raise ValueError(f"n_negatives must be >= 0, got {self.n_negatives}")
        if not 0.0 < self.tau <= 1.0:
            raise ValueError(f"tau must be in (0, 1], got {self.tau}")
        if self.warmup_steps < 0:
            raise ValueError(f"warmup_steps must be >= 0, got {self.warmup_steps}")
        if self.lr_after_warmup is not None and self.lr_after_warmup < 0:
            raise ValueError(f"lr_after_warmup must be >= 0, got {self.lr_after_warmup}")
        if self.advantage_min > self.advantage_max:
            raise ValueError(
                f"advantage_min ({self.advantage_min}) must be <= advantage_max ({self.advantage_max})"
            )
        if self.le_state not in ("none", "concat", "gate"):
            raise ValueError(f"le_state must be one of none, concat, gate; got {self.le_state!r}")
        if self.le_reward not in ("none", "replace", "shape"):
            raise ValueError(f"le_reward must be one of none, replace, shape; got {self.le_reward!r}")
        if self.lea_augment_k < 0:
            raise ValueError(f"lea_augment_k must be >= 0, got {self.lea_augment_k}")
        if self.lea_ce_weight < 0:
            raise ValueError(f"lea_ce_weight must be >= 0, got {self.lea_ce_weight}")
        if self.grad_clip < 0:
            raise ValueError(f"grad_clip must be >= 0, got {self.grad_clip}")

    @classmethod
    def algorithm_defaults(cls, **overrides: float) -> RecRLParams:
        """An algorithm's own defaults: the SQN family's ``ALGO_DEFAULT_FIELDS`` (Q weight 1, no negatives,
        lr kept after warm-up) with ``overrides``."""
        return cls(**{"q_loss_weight": 1.0, "n_negatives": 0, "lr_after_warmup": 0.0, **overrides})

    def with_defaults(self, defaults: RecRLParams) -> RecRLParams:
        """These params with each field left at None (``ALGO_DEFAULT_FIELDS``) taken from ``defaults``."""
        unset = {name: getattr(defaults, name) for name in ALGO_DEFAULT_FIELDS if getattr(self, name) is None}
        return dataclasses.replace(self, **unset) if unset else self

    @property
    def resolved(self) -> bool:
        """Whether every algorithm-specific field has a value (true once an algorithm config holds them)."""
        return all(getattr(self, name) is not None for name in ALGO_DEFAULT_FIELDS)

    @property
    def uses_q(self) -> bool:
        """Whether the Q head trains (CE sets q_loss_weight 0 and never runs it)."""
        return bool(self.q_loss_weight)

    @property
    def uses_labels(self) -> bool:
        """Whether the batch must carry the LE label columns."""
        return self.le_state != "none" or self.le_reward != "none" or self.lea_augment_k > 0
