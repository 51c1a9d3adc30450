"""Train one RLlib offline algorithm on prepared (optionally LE-labeled) transitions, export and evaluate it.

``python -m learec.platform.jobs.train --data runs/shop/data --out runs/shop/models/sqn [--labels DIR]
[--config run.yaml] [train.algo=sqn ...]`` is the plain entry point ``ray job submit`` runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from learec.platform.common import atomic, outputs
from learec.platform.common.fields import to_dict
from learec.platform.labeling.labeled_data import LabeledData

if TYPE_CHECKING:
    from learec.platform.data.prepare import PreparedData
    from learec.platform.eval.protocol import EvalConfig
    from learec.platform.jobs.config import RunConfig
    from learec.rllib_algos.common.train_config import TrainConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainJobResult:
    checkpoint_dir: Path
    export_dir: Path
    metrics: dict[str, float]  # test split, full ranking: hr@k/click, ndcg@k/purchase, ...
    val_metrics: dict[str, float]
    history: list[tuple[int, dict[str, float]]]


def loss_detail(losses: dict[str, float]) -> str:
    """``loss 1.2345 (ce 1.1, td 0.13)`` from one iteration's ``loss/<term>`` metrics, for progress lines."""
    terms = {k.split("/", 1)[1]: v for k, v in losses.items() if k.startswith("loss/")}
    if not terms:
        return ""
    total = terms.pop("total", None)
    parts = ", ".join(f"{k} {v:.4g}" for k, v in sorted(terms.items()))
    return f"loss {total:.4f} ({parts})" if total is not None else f"loss {parts}"


def _train_inputs(data: PreparedData, labels_dir: Path | None) -> list[Path]:
    """The training transitions: the prepared ones, or the finished labeling of them."""
    if labels_dir is None:
        return [data.transitions_path("train")]
    return LabeledData.open(labels_dir).files


def train_and_evaluate(
    train_cfg: TrainConfig,
    data: PreparedData,
    out_dir: Path,
    labels_dir: Path | None = None,
    eval_config: EvalConfig | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    eval_data: PreparedData | None = None,
) -> TrainJobResult:
    """Fit ``train_cfg`` (an RLlib TrainConfig) on ``data`` (PreparedData); evaluate on val and test of
    ``eval_data`` (default ``data``; a generated training split is evaluated on the logged data it was
    mixed from, with the logs' popularity for novelty)."""
    from learec.platform.eval.protocol import EvalConfig, evaluate, evaluate_detailed
    from learec.platform.eval.significance import TEST_RANKS, save_ranked
    from learec.platform.jobs.ray_runtime import quiet_ray_logs
    from learec.rllib_algos.common.runner import fit, planned_iterations
    from learec.serve.policy import ExportedPolicy

    quiet_ray_logs()  # importing RLlib resets its logger to INFO

    if train_cfg.uses_labels and labels_dir is None:
        raise ValueError(
            f"{train_cfg.algo} with LE switches needs labeled transitions: pass --labels "
            "(made by `learec label`) or set the le_state/le_reward/lea_augment_k switches off "
            "(and train.dpo.pairs to logged)"
        )
    eval_config = eval_config or EvalConfig()
    out_dir = outputs.resolve_path(out_dir)  # RLlib reads a relative path as a URI without a scheme
    outputs.check_replaceable(out_dir, "model")
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs.write_marker(out_dir, "model")
    task = f"train {train_cfg.algo}"
    inputs = _train_inputs(data, labels_dir)
    # epochs > 0 sets the length from the data: the bar counts what training will run
    total = planned_iterations(train_cfg, [str(p) for p in inputs], train_cfg.params.batch_size)

    def on_iteration(iteration: int, losses: dict[str, float]) -> None:
        if progress is not None:
            progress(task, iteration, total, loss_detail(losses))

    ev = eval_data or data
    popularity = ev.popularity()
    val_rows = ev.transitions("val")

    def validate(score: Callable) -> dict[str, float]:
        return evaluate(score, val_rows, ev.n_items, eval_config, popularity)

    # Early stopping keeps the best weights on val (train.patience); an empty val split cannot select.
    result = fit(
        train_cfg,
        inputs,
        n_items=data.n_items,
        state_len=data.state_len,
        out_dir=out_dir,
        raw_ids=data.raw_ids(),
        on_iteration=on_iteration,
        val_fn=validate if val_rows.num_rows else None,
    )
    stopped = result.metrics.get("stopped_iteration")
    if progress is not None and stopped is not None and stopped < total:  # end the bar where training ended
        best = result.metrics["best_iteration"]
        progress(task, stopped, stopped, f"early stop, kept the best on val (iteration {best})")
    policy = ExportedPolicy.load(result.export_dir)
    val = evaluate(policy.score, val_rows, ev.n_items, eval_config, popularity)
    test, ranked = evaluate_detailed(
        policy.score, ev.transitions("test"), ev.n_items, eval_config, popularity
    )
    save_ranked(ranked, out_dir / TEST_RANKS)
    history = [(int(i), dict(losses)) for i, losses in result.history]
    atomic.write_json(
        {
            "config": to_dict(train_cfg),
            "val": val,
            "test": test,
            "history": history,
            "training": {
                k: result.metrics[k]
                for k in ("iterations", "best_iteration", "stopped_iteration")
                if k in result.metrics
            },
        },
        out_dir / "metrics.json",
    )
    return TrainJobResult(Path(result.checkpoint_dir), Path(result.export_dir), test, val, history)


def train(
    cfg: RunConfig,
    data_dir: Path,
    out: Path,
    labels: Path | None = None,
    address: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    force: bool = False,
) -> TrainJobResult:
    """The ``learec train`` job: the run config's ``train`` and ``eval`` sections on one data folder.

    ``force`` replaces a trained model folder already at ``out``; any other non-empty folder is refused.
    """
    from learec.platform.data.prepare import load_prepared
    from learec.platform.jobs.ray_runtime import init_ray

    out = outputs.claim_output(out, "model", replace=force)
    if labels is not None:
        labels = outputs.resolve_path(labels)
        LabeledData.open(labels)  # a partly labeled folder stops here, before anything loads
    data = load_prepared(outputs.resolve_path(data_dir))
    init_ray(num_cpus=cfg.num_cpus, address=address or cfg.ray_address)
    return train_and_evaluate(
        cfg.train, data, out, labels_dir=labels, eval_config=cfg.eval, progress=progress
    )


def main(argv: list[str] | None = None) -> None:
    from learec.platform.jobs.job_args import job_parser, parse_job_args, progress_log, user_errors
    from learec.platform.jobs.output_paths import resolve_output

    parser = job_parser("Train one RLlib offline recommender and export it.")
    parser.add_argument("--data", type=Path, required=True, help="prepared data folder")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--labels", type=Path, default=None, help="labeled transitions folder")
    parser.add_argument("--force", action="store_true", help="replace a trained model folder at --out")
    with user_errors(parser):
        args, cfg = parse_job_args(parser, argv)
        out = resolve_output(args.out, "--out")
        result = train(cfg, args.data, out, labels=args.labels, force=args.force, progress=progress_log(log))
    log.info("exported policy: %s; test metrics: %s", result.export_dir, result.metrics)


if __name__ == "__main__":
    main()
