"""LE quality, tiny decoder vs SmolLM2-135M, on the synthetic shop and MovieLens (EXPERIMENTS.md, LE section).

For each dataset and backbone: prepare the data, train the LE on its user subset of the train split
(held-out stats and selection on val), evaluate on the test split with ``evaluate_le`` (pairwise accuracy vs
popularity and co-occurrence fitted on all train transitions and on the LE's subset; on the shop also
Spearman with the true utility and precision@10), time the training and ``label()`` rows/s.

    python experiments/le_quality.py [--datasets shop,movielens] [--backbones tiny,smollm2-135m]
        [--models-dir /work/models_cache] [--movielens ../shared/data/movielens-small]
        [--smollm2-steps 300] [--tiny-steps 600] [--user-fraction 0.1] [--seeds 0,1,2]
        [--set history_pool=false ...] [--split test|val] [--out experiments/results/le_quality.json]

Results of a non-default --tiny-steps, --user-fraction or --set are stored under a key that names them,
e.g. ``tiny@s3000,f1`` or ``tiny@history_pool=False``. With several --seeds, each metric is the mean over
the seeds (the seed draws the LE's init, user subset and negatives) with ``<metric>_std`` beside it and the
per-seed figures under ``per_seed``; the test pairs are the same for every seed. ``--split val`` scores the
val split instead (the pairs and shop states settings are chosen on) and stores the results under
``val.<dataset>.<key>``; the LE's early stopping reads val pairs in both cases.

MovieLens is prepared with ``min_item_count=30`` (304 items) so that SmolLM2 trains on 2 CPU cores in
minutes; the shop with ``learec run``'s defaults.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from learec.platform.common import atomic
from learec.platform.data.prepare import PrepConfig, prepare
from learec.platform.le.config import SMOLLM2, LEConfig
from learec.platform.le.environment import LanguageEnvironment
from learec.platform.le.evaluate import evaluate_le
from learec.platform.le.pairs import transition_arrays
from learec.platform.le.trainer import train_le

REPO = Path(__file__).resolve().parents[1]
N_PAIRS, N_STATES, LABEL_ROWS, K = 1000, 200, 256, 10


def _data(name: str, work: Path, movielens: Path):
    if name == "shop":
        from learec.platform.sim.shop import ShopConfig, SyntheticShop

        shop = SyntheticShop(ShopConfig())
        logs = shop.generate()
        return prepare(logs.to_raw(), PrepConfig(), work / "shop"), shop, logs
    from learec.platform.data.loaders.registry import load_dataset

    raw = load_dataset("movielens", movielens)
    return prepare(raw, PrepConfig(min_item_count=30), work / "movielens"), None, None


def _config(backbone: str, args: argparse.Namespace, seed: int) -> LEConfig:
    overrides = {**_overrides(args.set), "seed": seed}
    if backbone == "tiny":
        base = LEConfig(threads=args.threads, user_fraction=args.user_fraction, steps=args.tiny_steps)
        return dataclasses.replace(base, **overrides)
    # LoRA on a pretrained base; batch 8 keeps a step near 1 s on 2 cores.
    base = LEConfig(
        backbone=backbone,
        models_dir=args.models_dir,
        batch_size=8,
        steps=args.smollm2_steps,
        item_token_epochs=1,
        lr=1e-3,
        heldout_pairs=256,
        eval_every=150,
        infer_batch_size=32,
        threads=args.threads,
        user_fraction=args.user_fraction,
    )
    return dataclasses.replace(base, **overrides)


def _overrides(pairs: list[str]) -> dict[str, object]:
    """``["history_pool=false", "lr=1e-3"]`` -> LEConfig overrides (values parsed as YAML scalars)."""
    fields = {f.name for f in dataclasses.fields(LEConfig)}
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or name not in fields:
            raise SystemExit(f"--set expects FIELD=VALUE with a LEConfig field, got {pair!r}")
        out[name] = yaml.safe_load(value)
    return out


def _key(backbone: str, args: argparse.Namespace, defaults: argparse.Namespace) -> str:
    """Result key: the backbone, plus the settings that differ from this script's defaults."""
    steps = "tiny_steps" if backbone == "tiny" else "smollm2_steps"
    changed = [
        f"{tag}{getattr(args, name):g}"
        for name, tag in ((steps, "s"), ("user_fraction", "f"))
        if getattr(args, name) != getattr(defaults, name)
    ]
    changed += [f"{k}={v}" for k, v in _overrides(args.set).items()]
    return f"{backbone}@{','.join(changed)}" if changed else backbone


def run_one(data, shop, logs, config: LEConfig, work: Path, split: str = "test") -> dict:
    started = time.perf_counter()
    ckpt = train_le(
        config, data.transitions("train"), data.items(), work, heldout_transitions=data.transitions("val")
    )
    train_s = time.perf_counter() - started
    env = LanguageEnvironment.load(ckpt, expected_raw_ids=data.raw_ids())
    test = data.transitions(split)
    metrics = evaluate_le(
        env,
        test,
        data.popularity(),
        data.transitions("train"),
        shop=shop,
        shop_logs=logs,
        events=data.events(split) if shop is not None else None,
        k=K,
        n_pairs=N_PAIRS,
        n_states=N_STATES,
    )
    rows = transition_arrays(test).take(np.arange(min(LABEL_ROWS, test.num_rows)))
    env.label(rows.states[:8], rows.lengths[:8], rows.actions[:8], K)  # warm-up
    t = time.perf_counter()
    env.label(rows.states, rows.lengths, rows.actions, K)
    label_rows_s = len(rows) / (time.perf_counter() - t)
    manifest = env.manifest
    return {
        **{k: round(v, 4) for k, v in metrics.items()},
        "val_pair_acc": manifest["metrics"]["heldout_pair_acc"],
        "train_seconds": round(train_s, 1),
        "train_steps": manifest["train_losses"].get("steps"),
        "best_step": manifest["train_losses"].get("best_step"),
        "label_rows_per_s": round(label_rows_s, 1),
        "subset_sessions": manifest["user_subset"]["sessions"],
        "trainable": manifest["trainable"],
        "config": {k: v for k, v in dataclasses.asdict(config).items() if k != "models_dir"},
    }


def _over_seeds(runs: list[dict]) -> dict:
    """Mean (and ``_std``) of every numeric metric over seeds; the first run's config and trainable."""
    out = {k: v for k, v in runs[0].items() if not isinstance(v, (int, float))}
    for k, v in runs[0].items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            vals = np.array([r[k] for r in runs], dtype=np.float64)
            out[k] = round(float(vals.mean()), 4)
            if "/" in k or k == "val_pair_acc":
                out[f"{k}_std"] = round(float(vals.std()), 4)
    out["config"] = {**runs[0]["config"], "seed": [r["config"]["seed"] for r in runs]}
    out["per_seed"] = [{k: v for k, v in r.items() if k not in ("config", "trainable")} for r in runs]
    return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="shop,movielens")
    parser.add_argument("--backbones", default=f"tiny,{SMOLLM2}")
    parser.add_argument("--models-dir", default=os.environ.get("LEAREC_MODELS_DIR"))
    parser.add_argument("--movielens", type=Path, default=REPO.parent / "shared" / "data" / "movielens-small")
    parser.add_argument("--smollm2-steps", type=int, default=300)
    parser.add_argument("--tiny-steps", type=int, default=LEConfig().steps)
    parser.add_argument(
        "--user-fraction", type=float, default=LEConfig().user_fraction, help="LE user subset"
    )
    parser.add_argument("--seeds", default="0", help="comma-separated LE seeds; metrics are their mean")
    parser.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", help="LEConfig override (repeatable)"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--split", choices=("test", "val"), default="test", help="split the LE is scored on")
    parser.add_argument("--out", type=Path, default=REPO / "experiments" / "results" / "le_quality.json")
    return parser


def main() -> None:
    parser = _parser()
    args, defaults = parser.parse_args(), parser.parse_args([])
    logging.basicConfig(level=logging.WARNING)
    os.environ["HF_HUB_OFFLINE"] = "1"
    torch.set_num_threads(args.threads)
    results = json.loads(args.out.read_text()) if args.out.is_file() else {}
    results["machine"] = {"cpu_threads": args.threads, "torch": torch.__version__}
    seeds = [int(s) for s in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.datasets.split(","):
            data, shop, logs = _data(name, Path(tmp), args.movielens)
            for backbone in args.backbones.split(","):
                key = _key(backbone, args, defaults)
                runs = [
                    run_one(
                        data,
                        shop,
                        logs,
                        _config(backbone, args, s),
                        Path(tmp) / f"{name}-{key}-{s}",
                        args.split,
                    )
                    for s in seeds
                ]
                res = _over_seeds(runs) if len(runs) > 1 else runs[0]
                res["n_items"] = data.n_items
                stored = results.setdefault("val", {}) if args.split == "val" else results
                stored.setdefault(name, {})[key] = res
                atomic.write_json(results, args.out)
                shown = {
                    k: v for k, v in res.items() if "/" in k or k.startswith(("train_", "val_", "best_"))
                }
                print(args.split, name, key, json.dumps(shown), flush=True)


if __name__ == "__main__":
    main()
