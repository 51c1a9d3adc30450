"""What one RLlib training run is: algorithm, hyper-parameters, length, resources.

``params`` holds the hyper-parameters every algorithm shares; each algorithm has its own section
(``ce``, ``sqn``, ``snqn``, ``sa2c``, ``cql``, ``dpo``), of which only the one named by ``algo`` is read.
Kept free of Ray/RLlib imports so that the CLI and config files can build it cheaply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from learec.platform.common.fields import Checked, opt
from learec.rllib_algos.ce.params import CEParams
from learec.rllib_algos.common.params import AlgoParams, RecRLParams
from learec.rllib_algos.cql.params import CQLParams
from learec.rllib_algos.dpo.params import DPOParams
from learec.rllib_algos.registry import ALGORITHMS
from learec.rllib_algos.sa2c.params import SA2CParams
from learec.rllib_algos.snqn.params import SNQNParams
from learec.rllib_algos.sqn.params import SQNParams

# A val metric key as the evaluation writes it (platform/eval/protocol.py: metric_key, TARGET_GROUPS).
SELECT_METRIC = re.compile(r"[a-z_]+@[1-9][0-9]*/(new_)?(click|purchase)|[a-z_]+@[1-9][0-9]*/all")


@dataclass(frozen=True)
class OfflineInput(Checked):
    """Ray resources of the data path; fractional CPUs keep 0/1/2 learners from deadlocking on 2 cores."""

    prelearner_cpus: float = opt(0.5, "CPUs each OfflinePreLearner actor reserves", gt=0)
    num_prelearners: int = opt(0, "OfflinePreLearner actors; 0 means max(1, num_learners)", ge=0)
    shuffle_buffer: int = opt(
        0, "rows in the local shuffle buffer of the batch iterator; 0 reads in order", ge=0
    )
    read_cpus: float | None = opt(
        None,
        "CPUs each Ray Data read task requests; none: Ray's default (1). Inside a Tune trial's placement "
        "group a full CPU exceeds Ray Data's per-operator budget and the read never starts",
        gt=0,
    )


@dataclass(frozen=True)
class TrainConfig(Checked):
    """One RLlib training run: the shared ``params`` plus the section of ``algo``."""

    algo: str = opt("sqn", "algorithm", choices=tuple(ALGORITHMS))
    params: RecRLParams = opt(RecRLParams(), "hyper-parameters every algorithm shares")
    ce: CEParams = opt(CEParams(), "CE's own fields (none: CE reads only params)")
    sqn: SQNParams = opt(SQNParams(), "SQN's own fields, read when algo is sqn")
    snqn: SNQNParams = opt(SNQNParams(), "SNQN's own fields, read when algo is snqn")
    sa2c: SA2CParams = opt(SA2CParams(), "SA2C's own fields, read when algo is sa2c")
    cql: CQLParams = opt(CQLParams(), "discrete CQL's own fields, read when algo is cql")
    dpo: DPOParams = opt(DPOParams(), "DPO's own fields, read when algo is dpo")
    iterations: int | None = opt(
        None,
        "training iterations (one batch per learner each); when set it wins over epochs; none: the "
        "length comes from epochs and the data size",
        ge=1,
    )
    epochs: float = opt(
        8.0,
        "passes over the training rows when iterations is not set, so the budget scales with the data "
        "(8 epochs: 443 iterations on the default shop)",
        gt=0,
    )
    eval_every: int | None = opt(
        None,
        "validate every this many iterations (early stopping, sweep reports); none: once per epoch; "
        "0: only at the end",
        ge=0,
    )
    patience: int = opt(
        3,
        "early stopping: end training after this many validations in a row without a better "
        "select_metric and export the best weights seen; 0: run the whole budget and export the last",
        ge=0,
    )
    select_metric: str = opt(
        "ndcg@10/purchase",
        "val metric (higher is better) that early stopping keeps the best of, <metric>@<k>/<group> with "
        "group click, purchase, all (both together) or new_click; a purchase metric on a log without "
        "purchases falls back to the same metric on clicks",
    )
    num_learners: int = opt(
        0, "0: learn in the driver; 1 or 2: remote learners (DDP across them)", choices=(0, 1, 2)
    )
    cpus_per_learner: float = opt(
        0.5, "CPUs each remote learner reserves (fractional on small machines)", gt=0
    )
    data: OfflineInput = opt(OfflineInput(), "Ray Data resources of the offline input")
    seed: int = opt(0, "seed of torch, the coin flip and the negatives")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not SELECT_METRIC.fullmatch(self.select_metric):
            raise ValueError(
                f"select_metric must look like ndcg@10/purchase (<metric>@<k>/<group>, group one of "
                f"click, purchase, all, new_click, new_purchase), got {self.select_metric!r}"
            )

    @property
    def algo_params(self) -> AlgoParams:
        """The section of ``algo`` (the only one this run reads)."""
        return getattr(self, self.algo)

    @property
    def uses_labels(self) -> bool:
        """Whether training reads LE label columns (the shared LE switches or the algorithm's own)."""
        return self.params.uses_labels or self.algo_params.reads_le_positives
