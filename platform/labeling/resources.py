"""Size the labeling actor pool from the cluster's resources (a pure function, unit-tested without Ray).

Two rules from RAY_NOTES §2-§3 shape every plan:

* **Never request a GPU that does not exist.** ``num_gpus=1`` on a CPU-only cluster waits forever, and
  ``num_gpus=0`` is read as a GPU request too, so a CPU plan carries ``num_gpus_per_actor=None`` and the
  pipeline then leaves ``num_gpus`` out of ``map_batches`` altogether.
* **Leave one CPU for Ray Data's read tasks.** Each actor holds its ``num_cpus`` for life and a read task
  asks for a whole CPU; if the actors reserve every CPU, the reads never start and the job hangs without
  an error. So ``actors * cpus_per_actor <= total_cpus - 1``, which also gives ``actors * cpus < total``.

With GPUs, each actor holds one GPU and the pool grows up to the number of GPUs (Ray sets
``CUDA_VISIBLE_DEVICES`` per actor); the CPU share per actor shrinks if needed to keep the read CPU free.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from learec.platform.labeling.pipeline import LabelingConfig

# Logical CPUs kept free for Ray Data's read (and ListFiles) tasks, which each request one CPU.
READ_CPUS = 1.0
# The smallest CPU share an actor gets when CPUs are scarce (GPU nodes with few CPUs).
MIN_CPUS_PER_ACTOR = 0.05


@dataclass(frozen=True)
class PoolPlan:
    """How ``map_batches`` runs the labeler: actor resources, pool bounds and batch size."""

    num_gpus_per_actor: float | None  # None: leave num_gpus out (0 would still be read as a GPU request)
    num_cpus_per_actor: float
    min_actors: int
    max_actors: int
    batch_size: int  # an int: Ray Data requires one when actors hold GPUs
    device: Literal["cuda", "cpu"]

    def resource_args(self) -> dict[str, float]:
        """The resource keyword arguments for ``map_batches`` (``num_gpus`` only when GPUs are used)."""
        args = {"num_cpus": self.num_cpus_per_actor}
        if self.num_gpus_per_actor:
            args["num_gpus"] = self.num_gpus_per_actor
        return args


def plan_resources(
    cluster: Mapping[str, float], config: LabelingConfig, core_limit: int | None = None
) -> PoolPlan:
    """Decide the actor pool for ``cluster`` (``ray.cluster_resources()``: ``{"CPU": 4.0, "GPU": 2.0}``).

    ``core_limit``: the real cores behind a local cluster that announces more logical CPUs than it has
    (``init_ray`` does, so that fractional requests fit); a CPU pool gets no more single-threaded actors
    than that, since extra ones only time-slice the same cores and each holds an LE replica.

    Raises ValueError when the cluster cannot run labeling without hanging (fewer than two CPUs) or when
    ``config.device == "cuda"`` but the cluster has no GPU.
    """
    cpus = float(cluster.get("CPU", 0.0))
    gpus = int(cluster.get("GPU", 0.0))
    spare = cpus - READ_CPUS
    if spare <= 0:
        raise ValueError(
            f"the Ray cluster has {cpus:g} CPU(s): Ray Data's read tasks need {READ_CPUS:g} and the labeling "
            "actors need more, so the job would hang; start Ray with num_cpus >= 2 (logical CPUs may exceed "
            "the physical cores, see learec.platform.jobs.ray_runtime.init_ray)"
        )
    if config.device == "cuda" and gpus == 0:
        raise ValueError("labeling.device is 'cuda' but the Ray cluster has no GPU; use 'auto' or 'cpu'")
    cap = config.max_actors if config.max_actors > 0 else math.inf

    if gpus > 0 and config.device != "cpu":
        actors = int(min(gpus, cap))
        # Each GPU actor still holds a CPU share; shrink it so the read CPU stays free.
        per_actor = max(MIN_CPUS_PER_ACTOR, min(config.cpus_per_actor, spare / actors))
        actors = int(min(actors, max(1, math.floor(spare / per_actor + 1e-9))))
        return PoolPlan(
            num_gpus_per_actor=1.0,
            num_cpus_per_actor=per_actor,
            min_actors=1,
            max_actors=actors,
            batch_size=config.batch_size,
            device="cuda",
        )

    per_actor = min(config.cpus_per_actor, spare)
    actors = int(min(cap, max(1, math.floor(spare / per_actor + 1e-9))))
    if core_limit is not None:
        actors = max(1, min(actors, core_limit))
    return PoolPlan(
        num_gpus_per_actor=None,
        num_cpus_per_actor=per_actor,
        min_actors=1,
        max_actors=actors,
        batch_size=config.batch_size,
        device="cpu",
    )
