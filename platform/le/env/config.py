"""LEEnvConfig: every knob of the LE environment (the user model made of an LE checkpoint), documented once.

The user model itself is described in ``sessions.py``; the values learned from the logs (leave probability,
purchase model, how purchases are logged) in ``calibration.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from learec.platform.common.fields import Checked, opt

PurchaseEvent = Literal["auto", "extra", "replace"]


@dataclass(frozen=True)
class LEEnvConfig(Checked):
    slate_size: int = opt(
        1,
        "items recommended per step: 1 makes the action one item (Discrete), k > 1 a slate of k",
        ge=1,
        le=1000,
    )
    max_steps: int = opt(
        20, "steps after which a session is cut (truncated, not terminated)", ge=1, le=100_000
    )
    leave_prob: float | None = opt(
        None,
        "probability that the user leaves after each step; none: 1 / mean clicks per training session",
        gt=0,
        le=1,
    )
    choice_temperature: float = opt(
        1.0, "temperature of the click softmax over normalised LE rewards (lower: greedier users)", gt=0
    )
    slate_boost: float = opt(
        1.0,
        "added to the score of shown items in the click softmax, in normalised-reward units: users click "
        "what they are shown more readily than what they must find",
    )
    catalogue_candidates: int = opt(
        20,
        "the LE's best catalogue items (state-model candidates re-scored by the reward model) a user may "
        "click instead of the slate; cut to what a state leaves",
        ge=1,
        le=100_000,
    )
    purchase_event: PurchaseEvent = opt(
        "auto",
        "how the logs record a purchase: extra (a second event on the item just clicked, as the shop and "
        "RetailRocket do), replace (the event itself is the purchase, as MovieLens ratings >= 4); auto "
        "detects it from the training events",
    )
    calibration_rows: int = opt(
        4096, "logged training transitions the LE scores to fit p(buy | LE reward)", ge=16, le=10_000_000
    )
    start_min_len: int = opt(
        1, "start states are logged training states holding at least this many items", ge=0, le=1000
    )
    seed: int = opt(0, "seed of the calibration sample (sessions are seeded by reset(seed=))")
    threads: int | None = opt(
        1,
        "torch CPU threads of a job stepping sessions in its own process (play, rollout, PPO's driver): "
        "an LE pass over a few sessions is too small to split, and on a busy machine 2 threads ran 10-30x "
        "slower than 1 (BENCHMARKS.md); none keeps torch's default. Ray's env runners run with 1",
        ge=1,
        le=1024,
    )


@dataclass(frozen=True)
class MixConfig(Checked):
    """A prepared-data copy whose training split is generated, or logged + generated (``mixing.py``)."""

    train_from: Literal["generated", "both"] = opt(
        "both", "the new training split: the generated sessions alone, or the logged ones plus the generated"
    )
    generated_fraction: float = opt(1.0, "share of the generated sessions used (seeded sample)", gt=0, le=1)
    seed: int = opt(0, "seed of the generated-session sample")
