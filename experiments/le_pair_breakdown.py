"""Where the LE wins or loses against co-occurrence: test pair accuracy split by kind of pair.

Trains (or reuses) one tiny LE (defaults + ``--set``) on a prepared dataset, scores 1,000 test pairs (same
sampling as ``evaluate_le``) with the LE, its state-model similarity alone (``sm``), popularity and
co-occurrence fitted on all training transitions, and prints the accuracy per kind of positive: a repeat of
the last history item, another history item, a new item, and states with an empty history. The shop
breakdowns in EXPERIMENTS.md (LE sections) are this script's output.

    python experiments/le_pair_breakdown.py PREPARED_DIR [--ckpt DIR] [--seed 0] [--set FIELD=VALUE ...]
        [--split test|val]
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import torch
import yaml

from learec.platform.data.prepare import load_prepared
from learec.platform.le.config import LEConfig
from learec.platform.le.environment import LanguageEnvironment
from learec.platform.le.evaluate import CoOccurrence
from learec.platform.le.pairs import InteractionIndex, transition_arrays
from learec.platform.le.reward_model import pairwise_accuracy
from learec.platform.le.state_model import item_scores
from learec.platform.le.trainer import train_le


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prepared", type=Path, help="a folder written by `learec prepare` / prepare()")
    parser.add_argument("--ckpt", type=Path, default=None, help="LE checkpoint (trained here when absent)")
    parser.add_argument("--seed", type=int, default=0, help="LE seed when training")
    parser.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", help="LEConfig override when training"
    )
    parser.add_argument("--split", choices=("test", "val"), default="test", help="split the pairs come from")
    args = parser.parse_args()
    data = load_prepared(args.prepared)
    overrides = {k: yaml.safe_load(v) for k, _, v in (s.partition("=") for s in args.set)}
    tag = "".join(f",{k}={v}" for k, v in overrides.items())
    ckpt = args.ckpt or args.prepared / f"le_breakdown_s{args.seed}{tag}"
    if not (ckpt / "manifest.json").is_file():
        cfg = dataclasses.replace(LEConfig(seed=args.seed), **overrides)
        train_le(
            cfg, data.transitions("train"), data.items(), ckpt, heldout_transitions=data.transitions("val")
        )
    env = LanguageEnvironment.load(ckpt, expected_raw_ids=data.raw_ids())
    test = transition_arrays(data.transitions(args.split))
    rng = np.random.default_rng(0)
    rows = rng.choice(len(test), size=min(1000, len(test)), replace=False)
    batch = test.take(rows)
    neg = InteractionIndex(test, env.n_items).negatives(rows, 1, rng)[:, 0]
    pair = np.stack([batch.actions, neg], 1)
    model = env._model
    with torch.inference_mode():  # the state model's similarity alone as a scorer
        state = model.state(model.encode(batch.states, batch.lengths))
        sm = item_scores(state, model.item_vectors()).gather(1, torch.from_numpy(pair)).numpy()
    scores = {
        "le": env.reward(batch.states, batch.lengths, pair),
        "sm": sm,
        "cooc": CoOccurrence(transition_arrays(data.transitions("train")), env.n_items).score(
            batch.states, batch.lengths, pair
        ),
        "pop": data.popularity()[pair],
    }
    tail, _ = env._model.prompts.histories(batch.states, batch.lengths)
    last = tail[:, -1]
    in_history = (tail == batch.actions[:, None]).any(1)
    repeat = batch.actions == last
    kinds = {
        "all": np.ones(len(batch), bool),
        "repeat of the last item": repeat,
        "other history item": in_history & ~repeat,
        "new item, with a history": ~in_history & (batch.lengths > 0),
        "empty history": batch.lengths == 0,
    }
    for kind, mask in kinds.items():
        if mask.any():
            accs = "  ".join(
                f"{n} {pairwise_accuracy(v[mask, 0], v[mask, 1]):.3f}" for n, v in scores.items()
            )
            print(f"{kind:26s} {int(mask.sum()):5d} pairs  {accs}")


if __name__ == "__main__":
    main()
