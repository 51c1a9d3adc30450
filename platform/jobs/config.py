"""The run configuration: one section per component, each the component's own config dataclass.

A YAML file mirrors this structure (``shop:``, ``prep:``, ``le:``, ...); ``learec run --help`` lists every
field as ``--<section>-<field>``. The resolved config (every default written out) is saved as
``runs/<name>/resolved.yaml`` so a run can be repeated exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from learec.platform.common.fields import Checked, opt, replace
from learec.platform.data.prepare import PrepConfig
from learec.platform.eval.protocol import EvalConfig
from learec.platform.jobs.grid import GENERATED_USES, LE_BEHAVIOUR
from learec.platform.jobs.variants import VARIANTS
from learec.platform.labeling.pipeline import LabelingConfig
from learec.platform.le.config import LEConfig
from learec.platform.le.env.config import LEEnvConfig, MixConfig
from learec.platform.sim.shop import ShopConfig
from learec.rllib_algos.common.backbone_config import BACKBONE_NAMES
from learec.rllib_algos.common.train_config import TrainConfig
from learec.rllib_algos.ppo_le.params import PPOLEParams
from learec.rllib_algos.registry import ALGORITHMS


@dataclass(frozen=True)
class DataSourceConfig(Checked):
    source: str = opt(
        "shop",
        "where events come from: 'shop' (the embedded synthetic shop) or a loader format "
        "(see `learec data formats`): movielens, retailrocket, rc15, otto, recbole, lastfm, generic",
    )
    path: str | None = opt(None, "input file or folder for a loader format (unused for the shop)")
    options: Mapping[str, Any] | None = opt(
        None,
        "the loader format's options (columns, separator, file names...; `learec data formats` lists "
        "them), e.g. \"{delimiter: ';', item_col: sku}\"; in YAML a mapping",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.source != "shop" and not self.path:
            raise ValueError(f"data.path is required when data.source is {self.source!r}")
        if self.options:
            self.loader_options()  # a typo in an option name fails here, before any work starts

    def loader_options(self) -> Any:
        """``options`` as the loader format's options dataclass (errors name ``data.options.<key>``)."""
        from learec.platform.data.loaders.registry import loader_options

        if self.source == "shop":
            raise ValueError("data.options apply to a loader format; the shop is configured by shop.*")
        return loader_options(self.source, self.options or {}, where="data.options")


@dataclass(frozen=True)
class ExperimentConfig(Checked):
    algos: tuple[str, ...] = opt(("ce", "sqn"), "algorithms to train", choices=tuple(ALGORITHMS))
    variants: tuple[str, ...] = opt(
        ("base", "lea"),
        "LE variants of every RL algorithm: base (logged rewards), le_state, le_reward, le (state + reward), "
        "lea (state + reward + LE positive actions rewarded train.params.lea_reward), lea_affine / "
        "lea_sigmoid (lea with each positive rewarded by its own LE reward, lea_reward_source); CE always "
        "runs as base",
        choices=tuple(VARIANTS),
    )
    backbones: tuple[str, ...] = opt(("gru4rec",), "sequence encoders", choices=BACKBONE_NAMES)
    seeds: tuple[int, ...] = opt(
        (0, 1, 2), "training seeds; tables report mean ± std over them and significance pairs them"
    )
    lea_augment_k: int = opt(3, "LE positive actions per row in the lea* variants", ge=1)
    ppo_from: tuple[str, ...] = opt(
        (),
        "PPO cells trained in the LE environment (ppo.* settings), each warm-started from this algorithm's "
        "exported policy of the same backbone and seed (base variant); each must be in experiment.algos",
        choices=tuple(ALGORITHMS),
    )
    generated: tuple[str, ...] = opt(
        (),
        "generated-trajectory cells: sessions rolled out in the LE environment (le_env.*) by the LE's users "
        "alone (le) or under this algorithm's exported policy (same backbone and seed, base variant; it "
        "must be in experiment.algos), one rollout per seed, trained on by experiment.generated_algos",
        choices=(LE_BEHAVIOUR, *ALGORITHMS),
    )
    generated_use: tuple[str, ...] = opt(
        ("generated", "mixed"),
        "what the generated cells train on: generated (the generated sessions alone) or mixed (the logs "
        "plus the generated sessions; mix.generated_fraction and mix.seed apply); val/test stay logged",
        choices=tuple(GENERATED_USES),
    )
    generated_algos: tuple[str, ...] = opt(
        ("sqn",),
        "offline algorithms trained on the generated training splits, base variant (the LE labels are of "
        "the logged transitions)",
        choices=tuple(a for a in ALGORITHMS if a != "dpo"),
    )
    generated_sessions: int = opt(
        0, "sessions per rollout of the generated cells; 0: as many as the logged training split", ge=0
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.seeds:
            raise ValueError("experiment.seeds must list at least one seed")
        policy_sources = [("ppo_from", a) for a in self.ppo_from]
        policy_sources += [("generated", a) for a in self.generated if a != LE_BEHAVIOUR]
        for key, algo in policy_sources:
            if algo not in self.algos:
                raise ValueError(
                    f"experiment.{key} lists {algo}, which experiment.algos does not train: add {algo} to "
                    f"experiment.algos or remove it from experiment.{key}"
                )
            if algo != "ce" and "base" not in self.variants:
                raise ValueError(
                    f"experiment.{key} uses the exported policy of {algo}'s base variant, which "
                    "experiment.variants lacks: add base to experiment.variants"
                )
        if self.generated and not (self.generated_use and self.generated_algos):
            raise ValueError(
                "experiment.generated needs at least one experiment.generated_use and one "
                "experiment.generated_algos: set them or leave experiment.generated empty"
            )


@dataclass(frozen=True)
class OnlineEvalConfig(Checked):
    n_sessions: int = opt(300, "simulated users per policy (synthetic shop only)", ge=1)
    k: int = opt(10, "slate size shown to simulated users", ge=1)
    max_steps: int = opt(10, "slates per simulated session", ge=1)
    ope_sessions: int = opt(
        1000,
        "held-out logged sessions of the shop (with the logging slates and their propensities) for the "
        "off-policy estimates IPS, SNIPS and DR; 0 skips them",
        ge=0,
    )


@dataclass(frozen=True)
class RunConfig:
    name: str = opt("shop", "run name: outputs go to <runs_dir>/<name>/")
    runs_dir: str = opt("runs", "folder holding all runs")
    seed: int = opt(
        0,
        "seed of the simulated users in the online evaluation; the shop, the split and the LE have their "
        "own (shop.seed, prep.seed, le.seed)",
    )
    num_cpus: int | None = opt(None, "logical CPUs for local Ray; none: max(4, cores)")
    ray_address: str | None = opt(None, "connect to this Ray cluster instead of starting a local one")
    data: DataSourceConfig = opt(DataSourceConfig(), "where the logs come from")
    shop: ShopConfig = opt(ShopConfig(), "the embedded synthetic shop")
    prep: PrepConfig = opt(PrepConfig(), "preprocessing, splits and transitions")
    le: LEConfig = opt(LEConfig(), "the language-model environment")
    labeling: LabelingConfig = opt(LabelingConfig(), "Ray Data labeling of transitions")
    train: TrainConfig = opt(TrainConfig(), "RLlib training of one algorithm")
    experiment: ExperimentConfig = opt(ExperimentConfig(), "the grid learec run trains and compares")
    eval: EvalConfig = opt(EvalConfig(), "offline full-ranking evaluation")
    online: OnlineEvalConfig = opt(OnlineEvalConfig(), "online evaluation in the synthetic shop")
    le_env: LEEnvConfig = opt(LEEnvConfig(), "the LE as a live environment (simulated sessions)")
    mix: MixConfig = opt(MixConfig(), "training splits mixing logged and LE-generated sessions")
    ppo: PPOLEParams = opt(PPOLEParams(), "PPO trained online in the LE environment")

    def __post_init__(self) -> None:
        # An LE positive is rewarded as a click unless train.params.lea_reward says otherwise; the
        # resolved value is what resolved.yaml records and training reads.
        if self.train.params.lea_reward is None:
            params = replace(self.train.params, lea_reward=self.prep.reward_click)
            object.__setattr__(self, "train", replace(self.train, params=params))
        exp = self.experiment
        if exp.ppo_from and self.le_env.slate_size != 1:
            raise ValueError(
                "experiment.ppo_from trains PPO, which recommends one item per step: set le_env.slate_size "
                "to 1 or leave experiment.ppo_from empty"
            )
        if (exp.ppo_from or exp.generated) and self.le.steps == 0 and not self.le.epochs:
            key = "experiment.ppo_from" if exp.ppo_from else "experiment.generated"
            raise ValueError(
                f"{key} needs a trained LE as its environment, but le.steps is 0 (and le.epochs unset): "
                f"set le.steps or le.epochs above 0, or leave {key} empty"
            )
