"""The cells ``learec run`` trains: one :class:`ModelSpec` per model, and the one table of cell kinds.

Three kinds of cell, each with its id (folder and stage name) and its name in reports:

========== ============================================== ===================================================
kind       what trains                                    where its training data comes from
========== ============================================== ===================================================
logged     an RLlib offline algorithm (``experiment.      the logged training split (and the LE labels of
           algos`` x ``variants``)                        the ``le*``/``lea*`` variants)
ppo        RLlib's PPO in the LE environment              sessions simulated by the LE, warm-started from the
           (``experiment.ppo_from``)                      exported policy of a logged cell (same backbone,
                                                          seed; base variant)
generated  an offline algorithm (``experiment.            sessions rolled out in the LE environment
           generated_algos``)                             (``experiment.generated``: by the LE's users alone,
                                                          ``le``, or under a logged cell's policy), alone or
                                                          mixed with the logs (``experiment.generated_use``)
========== ============================================== ===================================================

A generated cell is named by its behaviour and its use rather than by ``mix.train_from``: one run compares
"generated" with "mixed" side by side, so the use is a grid axis; ``mix.generated_fraction`` and
``mix.seed`` apply to every mixed split. Each seed rolls out its own sessions (rollout seed = training
seed), so the spread over seeds includes the simulator's dice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from learec.platform.jobs.variants import VARIANTS

if TYPE_CHECKING:
    from learec.platform.jobs.config import RunConfig

LOGGED, PPO, GENERATED = "logged", "ppo", "generated"
LE_BEHAVIOUR = "le"  # generated sessions with no recommender: users click what the LE finds
GENERATED_USES = {
    "generated": "generated",
    "mixed": "both",
}  # experiment.generated_use -> MixConfig.train_from


@dataclass(frozen=True)
class ModelSpec:
    """One cell of the experiment grid."""

    algo: str  # the trained algorithm; "ppo" for PPO in the LE environment
    variant: str
    backbone: str
    seed: int
    kind: str = LOGGED  # a key of CELL_KINDS
    source: str = ""  # ppo: the warm-start algorithm; generated: the behaviour ("le" or an algorithm)
    use: str = ""  # generated: a key of GENERATED_USES

    @property
    def model_id(self) -> str:
        return CELL_KINDS[self.kind].model_id(self)

    @property
    def label(self) -> str:
        """The model's name in reports (``SQN+LEA``, ``PPO from CE``, ``SQN on generated (LE users)``)."""
        return CELL_KINDS[self.kind].label(self)

    @property
    def display_name(self) -> str:
        return f"{self.label} ({self.backbone})"


@dataclass(frozen=True)
class CellKind:
    model_id: Callable[[ModelSpec], str]
    label: Callable[[ModelSpec], str]


def _behaviour_text(source: str) -> str:
    return "LE users" if source == LE_BEHAVIOUR else f"{source.upper()} slates"


CELL_KINDS: dict[str, CellKind] = {
    LOGGED: CellKind(
        model_id=lambda s: f"{s.algo}-{s.variant}-{s.backbone}-s{s.seed}",
        label=lambda s: f"{s.algo.upper()}{VARIANTS[s.variant].label}",
    ),
    PPO: CellKind(
        model_id=lambda s: f"ppo-from_{s.source}-{s.backbone}-s{s.seed}",
        label=lambda s: f"PPO from {s.source.upper()}",
    ),
    GENERATED: CellKind(
        model_id=lambda s: f"{s.algo}-{s.use}_{s.source}-{s.backbone}-s{s.seed}",
        label=lambda s: (
            f"{s.algo.upper()} on {'generated' if s.use == 'generated' else 'logged + generated'} "
            f"({_behaviour_text(s.source)})"
        ),
    ),
}


def experiment_grid(cfg: RunConfig) -> list[ModelSpec]:
    """CE runs once per backbone and seed (it has no RL head to switch); RL algorithms run every variant.

    A DPO cell whose reference is left to the run comes after its CE cell (added if ``algos`` lacks ce);
    PPO and generated-trajectory cells come after every logged cell, so the policies they start from or
    roll out with exist when they train.
    """
    exp = cfg.experiment
    specs: list[ModelSpec] = []
    for backbone in exp.backbones:
        for algo in exp.algos:
            variants = ("base",) if algo == "ce" else exp.variants
            for variant in variants:
                for seed in exp.seeds:
                    spec = ModelSpec(algo, variant, backbone, seed)
                    reference = reference_spec(cfg, spec)
                    specs += [s for s in (reference, spec) if s is not None and s not in specs]
    for backbone in exp.backbones:
        for source in exp.ppo_from:
            specs += [ModelSpec("ppo", "base", backbone, seed, PPO, source) for seed in exp.seeds]
        for algo in exp.generated_algos if exp.generated else ():
            for source in exp.generated:
                for use in exp.generated_use:
                    specs += [ModelSpec(algo, "base", backbone, s, GENERATED, source, use) for s in exp.seeds]
    return specs


def reference_spec(cfg: RunConfig, spec: ModelSpec) -> ModelSpec | None:
    """The cell whose exported policy is ``spec``'s frozen reference: for a logged DPO cell with
    ``train.dpo.reference`` unset, CE of the same backbone and seed."""
    if spec.kind != LOGGED or spec.algo != "dpo" or cfg.train.dpo.reference is not None:
        return None
    return ModelSpec("ce", "base", spec.backbone, spec.seed)


def policy_source_spec(spec: ModelSpec) -> ModelSpec | None:
    """The logged cell whose exported policy ``spec`` starts from (PPO) or rolls out with (generated under
    a policy): its ``source`` algorithm, base variant, same backbone and seed."""
    if spec.kind == PPO or (spec.kind == GENERATED and spec.source != LE_BEHAVIOUR):
        return ModelSpec(spec.source, "base", spec.backbone, spec.seed)
    return None


def uses_le_environment(cfg: RunConfig) -> bool:
    """Whether the run trains in or on the LE environment (PPO or generated-trajectory cells)."""
    return bool(cfg.experiment.ppo_from or cfg.experiment.generated)
