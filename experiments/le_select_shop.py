"""Validation sweep behind the LE defaults (EXPERIMENTS.md, LE section): one LE config on the default shop.

Trains the tiny LE on the default ``learec run`` shop (``ShopConfig()``, ``PrepConfig()``), evaluates on the
VAL split (settings are chosen on val only; test numbers come from ``experiments/le_quality.py``) and prints
one JSON line: ``evaluate_le``'s metrics plus ``sm_pair`` (the state model's similarity alone as a scorer)
and ``train_s``. The sweep table in EXPERIMENTS.md ran this with ``--work /tmp/leq``.

    python experiments/le_select_shop.py NAME '{"n_negatives": 4, "steps": 600, "threads": 1}' [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
import torch

from learec.platform.data.prepare import PrepConfig, load_prepared, prepare
from learec.platform.le.config import LEConfig
from learec.platform.le.environment import LanguageEnvironment
from learec.platform.le.evaluate import evaluate_le
from learec.platform.le.pairs import InteractionIndex, transition_arrays
from learec.platform.le.reward_model import pairwise_accuracy
from learec.platform.le.state_model import item_scores
from learec.platform.sim.shop import ShopConfig, SyntheticShop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("overrides", nargs="?", default="{}", help="LEConfig fields as JSON")
    parser.add_argument("--work", type=Path, default=Path("/tmp/leq"))
    args = parser.parse_args()
    shop = SyntheticShop(ShopConfig())
    logs = shop.generate()
    if not (args.work / "shop" / "stats.json").is_file():
        prepare(logs.to_raw(), PrepConfig(), args.work / "shop")
    data = load_prepared(args.work / "shop")
    cfg = LEConfig(**{"threads": 2, **json.loads(args.overrides)})
    torch.set_num_threads(cfg.threads or 2)
    out = args.work / f"ck_{args.name}"
    shutil.rmtree(out, ignore_errors=True)
    started = time.time()
    from learec.platform.le.trainer import train_le

    train_le(cfg, data.transitions("train"), data.items(), out, heldout_transitions=data.transitions("val"))
    train_s = time.time() - started
    env = LanguageEnvironment.load(out)
    val = data.transitions("val")
    m = evaluate_le(
        env, val, data.popularity(), data.transitions("train"), shop=shop, shop_logs=logs,
        events=data.events("val"), n_pairs=1000,
    )  # fmt: skip
    # The state model alone as a scorer, on the same pairs (same seed as evaluate_le's draw).
    rng = np.random.default_rng(0)
    arrays = transition_arrays(val)
    rows = rng.choice(len(arrays), size=min(1000, len(arrays)), replace=False)
    batch = arrays.take(rows)
    neg = InteractionIndex(arrays, env.n_items).negatives(rows, 1, rng)[:, 0]
    pair = torch.from_numpy(np.stack([batch.actions, neg], 1))
    with torch.inference_mode():
        model = env._model
        scores = item_scores(model.state(model.encode(batch.states, batch.lengths)), model.item_vectors())
        sm = scores.gather(1, pair).numpy()
    m.update({"sm_pair": pairwise_accuracy(sm[:, 0], sm[:, 1]), "train_s": round(train_s, 1)})
    print(args.name, json.dumps({k: round(v, 3) for k, v in m.items()}))


if __name__ == "__main__":
    main()
