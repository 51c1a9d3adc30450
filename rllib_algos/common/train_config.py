"""What one RLlib training run is: algorithm, hyper-parameters, length, resources.

Kept free of Ray/RLlib imports so that the CLI and config files can build it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass

from learec.platform.common.fields import opt
from learec.rllib_algos.common.params import RecRLParams


@dataclass(frozen=True)
class OfflineInput:
    """Ray resources of the data path; fractional CPUs keep 0/1/2 learners from deadlocking on 2 cores."""

    prelearner_cpus: float = opt(0.5, "CPUs each OfflinePreLearner actor reserves")
    num_prelearners: int = opt(0, "OfflinePreLearner actors; 0 means max(1, num_learners)")
    shuffle_buffer: int = opt(0, "rows in the local shuffle buffer of the batch iterator; 0 reads in order")
    read_cpus: float | None = opt(
        None,
        "CPUs each Ray Data read task requests; none: Ray's default (1). Inside a Tune trial's placement "
        "group a full CPU exceeds Ray Data's per-operator budget and the read never starts",
    )

    def __post_init__(self) -> None:
        if self.prelearner_cpus <= 0:
            raise ValueError(f"prelearner_cpus must be > 0, got {self.prelearner_cpus}")
        if self.num_prelearners < 0:
            raise ValueError(f"num_prelearners must be >= 0, got {self.num_prelearners}")
        if self.read_cpus is not None and self.read_cpus <= 0:
            raise ValueError(f"read_cpus must be > 0, got {self.read_cpus}")
        if self.shuffle_buffer < 0:
            raise ValueError(f"shuffle_buffer must be >= 0, got {self.shuffle_buffer}")


@dataclass(frozen=True)
class TrainConfig:
    """One RLlib training run.

    ``params`` fields left at None take the algorithm's own default (SNQN/SA2C's 10 negatives, CE's zero
    Q weight, SA2C's lr drop), so one params block serves all four; an explicit value is always kept.
    """

    algo: str = opt("sqn", "algorithm: ce, sqn, snqn, sa2c")
    params: RecRLParams = opt(RecRLParams(), "hyper-parameters (defaults per algorithm, see help of each)")
    iterations: int = opt(200, "training iterations (one batch per learner each); ignored when epochs > 0")
    epochs: float = opt(0.0, "passes over the training rows; > 0 sets iterations from the data size")
    eval_every: int = opt(0, "call the validation function every this many iterations; 0: only at the end")
    num_learners: int = opt(0, "0: learn in the driver; 1 or 2: remote learners (DDP across them)")
    cpus_per_learner: float = opt(0.5, "CPUs each remote learner reserves (fractional on small machines)")
    data: OfflineInput = opt(OfflineInput(), "Ray Data resources of the offline input")
    seed: int = opt(0, "seed of torch, the coin flip and the negatives")

    def __post_init__(self) -> None:
        from learec.rllib_algos.registry import names

        if self.algo not in names():
            raise ValueError(f"algo must be one of {', '.join(names())}; got {self.algo!r}")
        if self.iterations < 1:
            raise ValueError(f"iterations must be >= 1, got {self.iterations}")
        if self.epochs < 0:
            raise ValueError(f"epochs must be >= 0, got {self.epochs}")
        if self.eval_every < 0:
            raise ValueError(f"eval_every must be >= 0, got {self.eval_every}")
        if self.num_learners not in (0, 1, 2):
            raise ValueError(f"num_learners must be 0, 1 or 2, got {self.num_learners}")
        if self.cpus_per_learner <= 0:
            raise ValueError(f"cpus_per_learner must be > 0, got {self.cpus_per_learner}")
