"""Adapt the LE on a small subset of training sessions and write a checkpoint (see config.py for the losses).

Phases: (1) item tokens learn to generate their item's text; (2) joint state-model + reward-model steps on
transitions of the user subset; (3) held-out pairs give the reward normalisation stats and the held-out
pairwise accuracy. Works on plain pyarrow tables (transitions + items), not on a dataset class.
"""

from __future__ import annotations

import importlib.metadata
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import torch

from learec.platform.common import atomic
from learec.platform.common.fields import to_dict
from learec.platform.data import schema
from learec.platform.le import backbone as bb
from learec.platform.le.checkpoint import vocab_hash, write_checkpoint
from learec.platform.le.config import LEConfig
from learec.platform.le.item_tokens import add_item_tokens, item_texts, text_batch, text_id_matrix
from learec.platform.le.item_words import ItemWords, word_table
from learec.platform.le.le_model import LEModel
from learec.platform.le.pairs import (
    InteractionIndex,
    TransitionArrays,
    future_actions,
    transition_arrays,
    user_subset,
)
from learec.platform.le.prompts import PromptBuilder
from learec.platform.le.reward_model import pairwise_accuracy, reward_loss, reward_stats
from learec.platform.le.state_model import future_loss, item_scores, state_loss

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


def train_le(
    config: LEConfig,
    train_transitions: pa.Table,
    items: pa.Table,
    out_dir: Path,
    progress: Progress | None = None,
    heldout_transitions: pa.Table | None = None,
) -> Path:
    """Train the LE and write its checkpoint to ``out_dir`` atomically; returns ``out_dir``.

    ``heldout_transitions`` (sessions the LE never sees, e.g. validation) give the reward stats and the
    held-out accuracy; without them, training sessions outside the user subset are used.
    """
    started = time.time()
    say = progress or (lambda stage, done, total: None)
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    rng = np.random.default_rng(config.seed)
    texts = item_texts(items)
    n_items = len(texts)
    raw_ids = _raw_ids(items)
    data = transition_arrays(train_transitions, "train transitions")
    if data.states.shape[1] < 1:
        raise ValueError("train transitions: state lists are empty")
    _check_items(data, n_items, "train transitions")
    subset = user_subset(data.session_ids, config.user_fraction, rng)
    in_subset = np.isin(data.session_ids, subset)
    train = data.take(np.flatnonzero(in_subset))
    if heldout_transitions is not None:
        heldout = transition_arrays(heldout_transitions, "held-out transitions")
        _check_items(heldout, n_items, "held-out transitions")
        heldout_source = "heldout_transitions"
    else:
        heldout = data.take(np.flatnonzero(~in_subset)) if (~in_subset).any() else train
        heldout_source = "train sessions outside the subset" if (~in_subset).any() else "the user subset"
    log.info(
        "LE: %d items, %d/%d training sessions (%d transitions)",
        n_items,
        len(subset),
        len(np.unique(data.session_ids)),
        len(train),
    )

    # Resizing and LoRA dropout draw from torch's global RNG: seed it, and restore the caller's afterwards.
    with atomic.atomic_path(out_dir, kind="le-checkpoint") as tmp, torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        tmp.mkdir(parents=True)
        built = build_model(config, texts, save_base_to=tmp / "base")
        model, tok = built.model, built.tok
        params = [p for p in model.parameters() if p.requires_grad]
        optim = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)

        losses = {"item_text": train_item_tokens(model, tok, texts, config, optim, rng, say)}

        # Early stopping on held-out pairs (fixed ones, from their own seed): the subset is small and
        # the LE overfits it (train pair accuracy ~0.95-1.0 vs ~0.8 held out without it).
        def validate() -> float:
            pairs_rng = np.random.default_rng([config.seed, 7])
            return _heldout(model, heldout, n_items, config, pairs_rng)[0]["heldout_pair_acc"]

        losses.update(
            train_state_reward(model, train, n_items, config, optim, rng, say, tok, texts, validate)
        )
        heldout_metrics, stats = _heldout(model, heldout, n_items, config, rng)
        say("le/heldout", 1, 1)

        manifest = {
            "base": built.base_info,
            "item_dim": built.item_dim,
            "hidden": built.hidden,
            "trains_base": config.trains_base,
            "pools_history": config.pools_history,
            "item_words": built.words_info,
            "trainable": built.trainable,
            "items": {
                "count": n_items,
                "vocab_hash": vocab_hash(raw_ids),
                "token_offset": model.prompts.offset,
            },
            "config": to_dict(config),
            "user_subset": {
                "sessions": len(subset),
                "transitions": len(train),
                "fraction": config.user_fraction,
                "hash": vocab_hash([str(s) for s in subset.tolist()]),
            },
            "reward_stats": stats,
            "heldout_source": heldout_source,
            "train_losses": losses,
            "metrics": heldout_metrics,
            "train_seconds": round(time.time() - started, 1),
            "versions": {
                p: _version(p) for p in ("torch", "transformers", "peft", "tokenizers", "safetensors")
            },
        }
        write_checkpoint(
            tmp,
            model,
            tok,
            manifest=manifest,
            init_rows=built.init_rows,
            raw_ids=raw_ids,
            user_sessions=subset,
            save_base=config.is_tiny or config.trains_base,
        )
    log.info(
        "LE checkpoint %s: held-out pairwise accuracy %.3f", out_dir, heldout_metrics["heldout_pair_acc"]
    )
    return Path(out_dir)


@dataclass
class BuiltModel:
    model: LEModel
    tok: Any
    base_info: dict[str, Any]
    trainable: dict[str, Any]
    init_rows: torch.Tensor  # [n_items, e] initial item-token rows
    hidden: int
    item_dim: int
    words_info: dict[str, Any] | None = None  # the item-word vocabulary's mode and size, when used


def build_model(config: LEConfig, texts: list[str], save_base_to: Path | None = None) -> BuiltModel:
    """Backbone + item tokens + (LoRA or full training) + heads, on ``config.device``, ready to train.

    With LoRA on the random tiny base, the base (with its initial item rows) is written to
    ``save_base_to`` before LoRA wraps it: LoRA never changes it and it cannot be rebuilt.
    """
    lm, tok, base_info = _backbone(config, texts)
    offset, init_rows = add_item_tokens(lm, tok, texts, config.max_text_tokens)
    if save_base_to is not None and config.is_tiny and not config.trains_base:
        lm.save_pretrained(str(save_base_to))
    lm, trainable = _trainable(lm, config, offset, len(texts))
    prompts = PromptBuilder(tok, offset, len(texts), config.max_history)
    hidden = int(bb.decoder_of(lm).config.hidden_size)
    item_dim = int(lm.get_input_embeddings().weight.shape[1])
    text_ids = text_id_matrix(tok, texts, config.max_text_tokens) if config.item_text_compose else None
    words, words_info = _item_words(config, texts, lm, tok, item_dim)
    model = LEModel(
        lm,
        prompts,
        hidden,
        item_dim,
        config.reward_state_term,
        1.0 / config.temperature,
        text_ids,
        config.pools_history,
        words,
        config.item_words_in_prompt,
        config.item_row_dropout,
    ).to(config.device)
    return BuiltModel(model, tok, base_info, trainable, init_rows, hidden, item_dim, words_info)


def _item_words(
    config: LEConfig, texts: list[str], lm: Any, tok: Any, item_dim: int
) -> tuple[ItemWords | None, dict[str, Any] | None]:
    """The shared word vectors of the item text (item_words.py), started from the base LM's embeddings."""
    if config.item_words == "off":
        return None, None
    table = word_table(texts, config.item_words, config.item_word_min_items)
    words = ItemWords(table.ids, len(table.words), item_dim)
    emb = lm.get_input_embeddings()

    def token_rows(word: str) -> torch.Tensor:
        ids = tok(" " + word, add_special_tokens=False)["input_ids"] or [tok.unk_token_id or 0]
        return emb(torch.tensor(ids)).detach()

    words.init_from_tokens(table.words, token_rows)
    covered = int((table.ids >= 0).any(1).sum())
    log.info("LE item words (%s): %d words, %d/%d items have some", config.item_words, len(table.words),
             covered, len(texts))  # fmt: skip
    return words, {"mode": config.item_words, "words": len(table.words), "items_with_words": covered}


def _raw_ids(items: pa.Table) -> list[str]:
    ids = np.asarray(items.column(schema.ITEM_ID).to_numpy(zero_copy_only=False), dtype=np.int64)
    raw = items.column(schema.RAW_ID).to_pylist()
    out = [""] * len(ids)
    for i, r in zip(ids.tolist(), raw, strict=True):
        out[i] = str(r)
    return out


def _check_items(data: TransitionArrays, n_items: int, where: str) -> None:
    if data.actions.min() < 0 or data.actions.max() >= n_items:
        raise ValueError(
            f"{where}: actions reach item id {int(data.actions.max())} but the items table has "
            f"{n_items} items; "
            "use the transitions and items of the same prepared dataset"
        )


def _backbone(config: LEConfig, texts: list[str]) -> tuple[Any, Any, dict[str, Any]]:
    if config.is_tiny:
        lm, tok = bb.build_tiny(texts, config)
        return lm, tok, {"id": "tiny", "path": None, "hash": None, "params": _n_params(lm)}
    path = bb.resolve_path(config)
    lm, tok = bb.load_local(path)
    return (
        lm,
        tok,
        {
            "id": config.backbone,
            "path": str(path.resolve()),
            "hash": bb.dir_hash(path),
            "params": _n_params(lm),
        },
    )


def _trainable(lm: Any, config: LEConfig, offset: int, n_items: int) -> tuple[Any, dict[str, Any]]:
    """Full training (every weight) or LoRA + item-token rows; returns the model and what trains."""
    if config.trains_base:
        for p in lm.parameters():
            p.requires_grad_(True)
        return lm, {"mode": "full", "params": _n_params(lm, trainable=True)}
    from peft import LoraConfig, get_peft_model

    targets, fan_in_fan_out = bb.lora_targets(lm, config.lora_targets)
    emb_name = next(n for n, m in lm.named_modules() if m is lm.get_input_embeddings()).rsplit(".", 1)[-1]
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=targets,
        fan_in_fan_out=fan_in_fan_out,
        trainable_token_indices={emb_name: list(range(offset, offset + n_items))},
        bias="none",
    )
    model = get_peft_model(lm, lora)
    return model, {
        "mode": "lora",
        "targets": targets,
        "item_rows": n_items,
        "params": _n_params(model, trainable=True),
    }


def train_item_tokens(
    model: LEModel,
    tok: Any,
    texts: list[str],
    config: LEConfig,
    optim: torch.optim.Optimizer,
    rng: np.random.Generator,
    say: Progress,
) -> float:
    """Item tokens learn to generate their text: ``"<item_i> is: {text}"``, loss on the text only."""
    n = len(texts)
    per_epoch = -(-n // config.batch_size)
    total = per_epoch * config.item_token_epochs
    model.train()
    last = float("nan")
    step = 0
    for _ in range(config.item_token_epochs):
        order = rng.permutation(n)
        for start in range(0, n, config.batch_size):
            batch = text_batch(
                tok,
                model.prompts.offset,
                order[start : start + config.batch_size],
                texts,
                config.max_text_tokens,
            )
            out = model.lm(**{k: v.to(model.device) for k, v in batch.items()})
            optim.zero_grad(set_to_none=True)
            out.loss.backward()
            optim.step()
            last = float(out.loss.detach())
            step += 1
            say("le/item_tokens", step, total)
    return last


def train_state_reward(
    model: LEModel,
    train: TransitionArrays,
    n_items: int,
    config: LEConfig,
    optim: torch.optim.Optimizer,
    rng: np.random.Generator,
    say: Progress,
    tok: Any = None,
    texts: list[str] | None = None,
    validate: Callable[[], float] | None = None,
) -> dict[str, float]:
    """Joint ``sm_weight·L_sm + rm_weight·L_rm (+ item_text_weight·L_item)`` steps, batches drawn with
    replacement. With ``tok`` and ``texts``, each step also generates the text of ``batch_size`` random
    items, so that the item tokens stay grounded in their text while they adapt to the subset.

    With ``validate`` (held-out score, higher is better) and ``config.eval_every``, the trainable weights
    of the best evaluation (the initial ones included) are restored at the end (early stopping)."""
    index = InteractionIndex(train, n_items)
    if model.item_words is not None:
        model.item_words.match_scale(model.item_embeddings().detach())
    model.state_proj.match_scale(model.item_vectors().detach(), config.temperature)
    steps = config.steps_for(len(train))
    future = future_actions(train, config.future_targets) if config.future_targets else None
    grounded = config.item_text_weight > 0 and tok is not None and texts is not None
    selecting = validate is not None and config.eval_every > 0
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    best_score, best_step, best = -np.inf, 0, None
    logs: dict[str, float] = {}
    if selecting:
        best_score = validate()
        best = {n: p.detach().clone() for n, p in trainable.items()}
    model.train()
    for step in range(1, steps + 1):
        rows = rng.integers(0, len(train), size=config.batch_size)
        batch = train.take(rows)
        neg = index.negatives(rows, config.n_negatives, rng)  # [B, N]
        pos = torch.from_numpy(batch.actions).to(model.device)  # [B]
        enc = model.encode(batch.states, batch.lengths)
        state, vectors = model.state(enc), model.item_vectors()
        sm = state_loss(state, vectors, pos, config.temperature)
        if future is not None:
            later = torch.from_numpy(future[rows]).to(model.device)  # [B, H]
            sm = sm + config.future_weight * future_loss(state, vectors, later, config.temperature)
        actions = torch.cat([pos[:, None], torch.from_numpy(neg).to(model.device)], dim=1)  # [B, 1+N]
        r = model.rewards(enc, actions)
        rm = reward_loss(r[:, 0], r[:, 1:], config.centering_coeff)
        loss = config.sm_weight * sm + config.rm_weight * rm["total"]
        if grounded:
            ids = rng.integers(0, n_items, size=config.batch_size)
            text = text_batch(tok, model.prompts.offset, ids, texts, config.max_text_tokens)
            text_loss = model.lm(**{k: v.to(model.device) for k, v in text.items()}).loss
            loss = loss + config.item_text_weight * text_loss
        optim.zero_grad(set_to_none=True)
        loss.backward()
        optim.step()
        logs = {"sm": float(sm.detach()), "rm_bt": float(rm["bt"].detach()), "rm_acc": float(rm["accuracy"])}
        if step % 50 == 0:
            log.info("LE step %d/%d: %s", step, steps, logs)
        if selecting and (step % config.eval_every == 0 or step == steps):
            score = validate()
            model.train()
            log.info("LE step %d: held-out pair accuracy %.4f", step, score)
            if score > best_score:
                best_score, best_step = score, step
                best = {n: p.detach().clone() for n, p in trainable.items()}
        say("le/state_reward", step, steps)
    if best is not None:
        with torch.no_grad():
            for n, p in trainable.items():
                p.copy_(best[n])
        logs.update({"best_step": float(best_step), "best_val_pair_acc": float(best_score)})
    logs["steps"] = float(steps)
    return logs


@torch.no_grad()
def _heldout(
    model: LEModel, heldout: TransitionArrays, n_items: int, config: LEConfig, rng: np.random.Generator
) -> tuple[dict[str, float], dict[str, float]]:
    """Raw rewards on held-out (a⁺, a⁻) pairs: normalisation stats, pairwise accuracy, state-model hit@10."""
    model.eval()
    index = InteractionIndex(heldout, n_items)
    rows = rng.choice(len(heldout), size=min(config.heldout_pairs, len(heldout)), replace=False)
    neg = index.negatives(rows, 1, rng)[:, 0]
    batch = heldout.take(rows)
    pos_r, neg_r, hits = [], [], []
    emb = model.item_vectors()
    for s in range(0, len(rows), config.infer_batch_size):
        sl = slice(s, s + config.infer_batch_size)
        enc = model.encode(batch.states[sl], batch.lengths[sl])
        scores = item_scores(model.state(enc), emb)  # [b, n]
        a = torch.from_numpy(batch.actions[sl]).to(model.device)
        rank = (scores > scores.gather(1, a[:, None])).sum(1)
        hits.append((rank < 10).float().cpu().numpy())
        r = model.rewards(enc, torch.stack([a, torch.from_numpy(neg[sl]).to(model.device)], 1)).cpu().numpy()
        pos_r.append(r[:, 0])
        neg_r.append(r[:, 1])
    pos, negs = np.concatenate(pos_r), np.concatenate(neg_r)
    metrics = {
        "heldout_pair_acc": pairwise_accuracy(pos, negs),
        "heldout_sm_hit@10": float(np.concatenate(hits).mean()),
        "heldout_pairs": len(rows),
    }
    return metrics, reward_stats(pos, negs)


def _n_params(model: Any, trainable: bool = False) -> int:
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable))


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "absent"
