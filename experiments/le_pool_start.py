"""SmolLM2 + pooled history state at the start of the state/reward steps (EXPERIMENTS.md, LE section).

Builds the SmolLM2 LE on prepared MovieLens, runs the item-token phase, sets u = α·1 as training would,
and prints the held-out (val) pair accuracy with the pooled term and with u = 0, plus the sizes of the two
parts of the state: ||W s_t|| and the LM's ||s_t||. Shows whether the pooled term's start is what hurts.

    python experiments/le_pool_start.py PREPARED_MOVIELENS_DIR --models-dir DIR
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import torch

from learec.platform.data.prepare import load_prepared
from learec.platform.le.config import SMOLLM2, LEConfig
from learec.platform.le.item_tokens import item_texts
from learec.platform.le.pairs import transition_arrays
from learec.platform.le.trainer import _heldout, build_model, train_item_tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prepared", type=Path)
    parser.add_argument("--models-dir", required=True)
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    torch.set_num_threads(2)
    data = load_prepared(args.prepared)
    # The SmolLM2 settings of experiments/le_quality.py, with the pooled state switched on.
    cfg = LEConfig(
        backbone=SMOLLM2,
        models_dir=args.models_dir,
        batch_size=8,
        item_token_epochs=1,
        lr=1e-3,
        heldout_pairs=256,
        infer_batch_size=32,
        history_pool=True,
    )
    texts = item_texts(data.items())
    torch.manual_seed(cfg.seed)
    built = build_model(cfg, texts)
    model = built.model
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    train_item_tokens(model, built.tok, texts, cfg, optim, np.random.default_rng(cfg.seed), lambda *a: None)
    vectors = model.item_vectors().detach()
    model.state_proj.match_scale(vectors, cfg.temperature)
    norm2, alpha = float(vectors.pow(2).sum(-1).mean()), float(model.state_proj.history[0])
    print(f"mean ||e||^2 {norm2:.3f}, u = {alpha:.4f}")
    val = transition_arrays(data.transitions("val"))
    for name in ("pooled (u = alpha)", "u = 0"):
        if name == "u = 0":
            with torch.no_grad():
                model.state_proj.history.zero_()
        metrics, _ = _heldout(model, val, len(texts), cfg, np.random.default_rng([cfg.seed, 7]))
        print(f"{name}: val pair accuracy {metrics['heldout_pair_acc']:.3f}")
    with torch.no_grad():
        enc = model.encode(val.states[:64], val.lengths[:64])
        ws = model.state_proj.proj(enc.hidden).norm(dim=-1).mean()
        print(f"||W s_t|| {float(ws):.1f}, ||s_t|| {float(enc.hidden.norm(dim=-1).mean()):.1f}")


if __name__ == "__main__":
    main()
