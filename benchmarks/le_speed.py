"""LE speed on CPU: training steps/s (LoRA and, for tiny, full) and labeling rows/s (``label()``).

Backbones: the tiny decoder (default LEConfig) and SmolLM2-135M when ``learec models get smollm2-135m`` has
been run (``--models-dir``). Data: a synthetic 400-item / 2000-session shop-like log (sessions stay in one
of 20 categories). Also times a whole default ``train_le`` of the tiny LE, which runs inside ``learec run``.

    python benchmarks/le_speed.py [--threads 2] [--models-dir DIR] [--out benchmarks/results/le_speed.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch

from learec.platform.data import schema
from learec.platform.le.config import LEConfig
from learec.platform.le.environment import LanguageEnvironment
from learec.platform.le.item_tokens import item_texts
from learec.platform.le.models_get import converted_dir
from learec.platform.le.pairs import transition_arrays
from learec.platform.le.trainer import build_model, train_le, train_state_reward

N_ITEMS, N_SESSIONS, N_CAT = 400, 2000, 20
WORDS = ("red", "blue", "green", "wool", "cotton", "steel", "oak", "glass", "small", "large")


def synthetic(seed: int = 0) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(seed)
    ids = np.arange(N_ITEMS)
    cats = ids % N_CAT
    titles = [f"{WORDS[i % 10]} {WORDS[(i // 10) % 10]} item {i}" for i in ids]
    texts = [f"department {c} > aisle {c % 5} > {WORDS[c % 10]}" for c in cats]
    items = pa.Table.from_arrays(
        [pa.array(ids, pa.int64()), pa.array([f"sku{i}" for i in ids]), pa.array(titles), pa.array(texts)],
        schema=schema.ITEMS,
    )
    rows: dict[str, list] = {f.name: [] for f in schema.TRANSITIONS}
    pad, length = N_ITEMS, schema.STATE_LEN
    for s in range(N_SESSIONS):
        pool = ids[cats == rng.integers(N_CAT)]
        seq = rng.choice(pool, size=int(rng.integers(3, 9)), replace=False)
        for t, a in enumerate(seq):
            hist, nxt = seq[max(0, t - length) : t].tolist(), seq[max(0, t + 1 - length) : t + 1].tolist()
            rows[schema.SESSION_ID].append(s)
            rows[schema.STEP].append(t)
            rows[schema.STATE].append([pad] * (length - len(hist)) + hist)
            rows[schema.LEN_STATE].append(len(hist))
            rows[schema.ACTION].append(int(a))
            rows[schema.IS_BUY].append(0)
            rows[schema.REWARD].append(0.2)
            rows[schema.NEXT_STATE].append([pad] * (length - len(nxt)) + nxt)
            rows[schema.LEN_NEXT_STATE].append(len(nxt))
            rows[schema.DONE].append(t == len(seq) - 1)
    return pa.Table.from_pydict(rows, schema=schema.TRANSITIONS), items


def train_steps_per_s(config: LEConfig, transitions: pa.Table, items: pa.Table, steps: int) -> float:
    built = build_model(config, item_texts(items))
    model = built.model
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.lr)
    rng = np.random.default_rng(0)
    data = transition_arrays(transitions)
    warm = 2
    train_state_reward(model, data, N_ITEMS, dataclasses.replace(config, steps=warm), optim, rng, _quiet)
    started = time.perf_counter()
    train_state_reward(model, data, N_ITEMS, dataclasses.replace(config, steps=steps), optim, rng, _quiet)
    return steps / (time.perf_counter() - started)


def label_rows_per_s(ckpt: Path, transitions: pa.Table, rows: int, k: int = 10) -> dict[str, float]:
    env = LanguageEnvironment.load(ckpt)
    data = transition_arrays(transitions).take(np.arange(rows))
    env.label(data.states[:8], data.lengths[:8], data.actions[:8], k)  # warm-up
    before = env.tokens_processed
    started = time.perf_counter()
    env.label(data.states, data.lengths, data.actions, k)
    wall = time.perf_counter() - started
    return {"label_rows_per_s": rows / wall, "label_tokens_per_s": (env.tokens_processed - before) / wall}


def _quiet(*_: object) -> None:
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models-dir", default=None)
    parser.add_argument("--out", default="benchmarks/results/le_speed.json")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(args.threads)
    transitions, items = synthetic()
    results: dict[str, object] = {
        "machine": {
            "cpu_threads": args.threads,
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
        "data": {"items": N_ITEMS, "sessions": N_SESSIONS, "transitions": transitions.num_rows},
    }
    with tempfile.TemporaryDirectory() as tmp:
        tiny = LEConfig(threads=args.threads)
        started = time.perf_counter()
        ckpt = train_le(tiny, transitions, items, Path(tmp) / "tiny")
        manifest = json.loads((ckpt / "manifest.json").read_text())
        results["tiny"] = {
            "train_le_default_seconds": time.perf_counter() - started,
            "heldout_pair_acc": manifest["metrics"]["heldout_pair_acc"],
            "full_train_steps_per_s": train_steps_per_s(tiny, transitions, items, 30),
            "lora_train_steps_per_s": train_steps_per_s(LEConfig(train_base=False), transitions, items, 30),
            "batch_size": tiny.batch_size,
            **label_rows_per_s(ckpt, transitions, 512),
        }
        print("tiny", results["tiny"])
        smol_dir = converted_dir("smollm2-135m", args.models_dir)
        if (smol_dir / "config.json").is_file():
            smol = LEConfig(
                backbone="smollm2-135m", models_dir=args.models_dir, batch_size=8, steps=2,
                item_token_epochs=0, heldout_pairs=16, user_fraction=0.02, infer_batch_size=32,
                threads=args.threads, lr=1e-3,
            )  # fmt: skip
            started = time.perf_counter()
            ckpt = train_le(smol, transitions, items, Path(tmp) / "smol")
            results["smollm2-135m"] = {
                "train_le_2_steps_seconds": time.perf_counter() - started,
                "lora_train_steps_per_s": train_steps_per_s(smol, transitions, items, 5),
                "batch_size": smol.batch_size,
                **label_rows_per_s(ckpt, transitions, 64),
            }
            print("smollm2-135m", results["smollm2-135m"])
        else:
            results["smollm2-135m"] = f"skipped: {smol_dir} absent (run `learec models get smollm2-135m`)"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
