"""LE checkpoint folder: everything needed to rebuild the exact LE offline, plus ``manifest.json``.

Layout::

    manifest.json        base model id/path + hash, item vocab hash + count, config, user subset, metrics
    tokenizer/           tokenizer with the item tokens
    base/                full base weights when they cannot be rebuilt (random tiny base; or trained base)
    adapter/             peft LoRA adapter + item-token rows (absent when the whole base trained)
    heads.safetensors    state projection W, score head f and the item-word vectors E (with item words)
    items.safetensors    initial item-token rows (re-applied on a pretrained base before the adapter), the
                         token ids of each item text (item vectors add their mean embedding) and each
                         item's word ids (item words)
    raw_ids.json         the item vocabulary: raw id of each dense id
    user_sessions.npy    the training sessions the LE was adapted on

Everything but ``manifest.json``'s ``metrics`` enters :func:`checkpoint_hash`, so evaluating a checkpoint
never changes its hash (and the labels keyed by it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from learec.platform.common import atomic
from learec.platform.common.outputs import MARKER_FILE
from learec.platform.common.weights import load_matching, read_safetensors
from learec.platform.le.backbone import decoder_of, dir_hash
from learec.platform.le.item_tokens import set_item_rows
from learec.platform.le.item_words import ItemWords
from learec.platform.le.le_model import LEModel
from learec.platform.le.prompts import PromptBuilder

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = "learec-le/1"
RETRAIN = "retrain the LE (`learec le train`)"
# Fields read when the LE is rebuilt: (path in the manifest, type); a wrong type is refused up front.
_FIELDS: tuple[tuple[tuple[str, ...], type | tuple[type, ...]], ...] = (
    (("items",), dict),
    (("items", "token_offset"), int),
    (("items", "count"), int),
    (("config",), dict),
    (("config", "max_history"), int),
    (("item_dim",), int),
)


# Config fields added after the first checkpoints, with the value that matches a checkpoint without them.
_ADDED_CONFIG: dict[str, Any] = {
    "item_words": "off",
    "item_word_min_items": 2,
    "item_words_in_prompt": False,
    "epochs": None,
    "future_targets": 0,
    "future_weight": 0.5,
}


def vocab_hash(raw_ids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(map(str, raw_ids)).encode()).hexdigest()


def read_manifest(ckpt_dir: Path) -> dict[str, Any]:
    path = Path(ckpt_dir) / MANIFEST
    if not path.is_file():
        raise ValueError(
            f"{ckpt_dir} is not an LE checkpoint (no {MANIFEST}); train one with `learec le train`"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}); {RETRAIN}") from None
    if not isinstance(manifest, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(manifest).__name__}; {RETRAIN}")
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{path}: format {manifest.get('format')!r} is not {FORMAT!r}; retrain the LE")
    for keys, kind in _FIELDS:
        value: Any = manifest
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if not isinstance(value, kind) or isinstance(value, bool):
            name = "an object" if kind is dict else "an integer"
            raise ValueError(f"{path}: {'.'.join(keys)} must be {name}, got {value!r}; {RETRAIN}")
    manifest.setdefault("pools_history", False)  # written before the pooled state existed
    # Fields added later take the meaning they had before they existed (then the manifest's config
    # and the rebuilt model agree).
    for name, before in _ADDED_CONFIG.items():
        manifest["config"].setdefault(name, before)
    manifest.setdefault("item_words", None)
    words = manifest["item_words"]
    if words is not None and not (isinstance(words, dict) and isinstance(words.get("words"), int)):
        raise ValueError(
            f"{path}: item_words must be an object with an integer 'words', got {words!r}; {RETRAIN}"
        )
    return manifest


def checkpoint_hash(ckpt_dir: Path) -> str:
    """Stable sha256 (16 hex) over every file's relative path and bytes, the manifest minus ``metrics``.

    The output marker is left out: it says who wrote the folder, not what the LE is.
    """
    root = Path(ckpt_dir)
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file() and p.name != MARKER_FILE):
        rel = f.relative_to(root).as_posix()
        h.update(rel.encode() + b"\0")
        if rel == MANIFEST:
            manifest = json.loads(f.read_text())
            manifest.pop("metrics", None)
            h.update(json.dumps(manifest, sort_keys=True).encode())
        else:
            with f.open("rb") as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()[:16]


def write_checkpoint(
    tmp_dir: Path,
    model: LEModel,
    tok: Any,
    *,
    manifest: dict[str, Any],
    init_rows: torch.Tensor,
    raw_ids: Sequence[str],
    user_sessions: np.ndarray,
    save_base: bool,
) -> None:
    """Write a checkpoint into ``tmp_dir`` (the caller renames it into place atomically).

    ``save_base``: write the full LM (the trained one when the whole base trained). With a peft model the
    base must already be in ``tmp_dir/base`` (written before LoRA wrapped it), since LoRA leaves it as is.
    """
    from safetensors.torch import save_file

    tmp_dir.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(str(tmp_dir / "tokenizer"))
    lm = model.lm
    if hasattr(lm, "peft_config"):
        lm.save_pretrained(str(tmp_dir / "adapter"), save_embedding_layers=False)
    elif save_base:
        lm.save_pretrained(str(tmp_dir / "base"))
    heads = {f"state_proj.{k}": v for k, v in model.state_proj.state_dict().items()}
    heads.update({f"score_head.{k}": v for k, v in model.score_head.state_dict().items()})
    if model.item_words is not None:
        heads.update({f"item_words.{k}": v for k, v in model.item_words.state_dict().items()})
    save_file(
        {k: v.detach().cpu().contiguous() for k, v in heads.items()}, str(tmp_dir / "heads.safetensors")
    )
    items = {"item_init": init_rows.detach().cpu().contiguous()}
    if model.text_ids is not None:
        items["text_ids"] = model.text_ids.detach().cpu().contiguous()
    if model.item_words is not None:
        items["word_ids"] = model.item_words.word_ids.detach().cpu().contiguous()
    save_file(items, str(tmp_dir / "items.safetensors"))
    (tmp_dir / "raw_ids.json").write_text(json.dumps(list(map(str, raw_ids))))
    np.save(tmp_dir / "user_sessions.npy", np.asarray(user_sessions, dtype=np.int64), allow_pickle=False)
    (tmp_dir / MANIFEST).write_text(
        json.dumps({"format": FORMAT, **manifest}, indent=2, sort_keys=True) + "\n"
    )


def load_le_model(ckpt_dir: Path, device: str = "cpu") -> tuple[LEModel, Any, dict[str, Any]]:
    """Rebuild the LE (eval mode, no dropout) and its tokenizer from a checkpoint folder."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    ckpt_dir = Path(ckpt_dir)
    manifest = read_manifest(ckpt_dir)
    tok = AutoTokenizer.from_pretrained(str(ckpt_dir / "tokenizer"), local_files_only=True)
    base_dir = ckpt_dir / "base"
    items_file = ckpt_dir / "items.safetensors"
    item_tensors = read_safetensors(items_file, RETRAIN)
    if base_dir.is_dir():
        lm = _pretrained(base_dir, lambda: AutoModelForCausalLM.from_pretrained(
            str(base_dir), dtype=torch.float32, local_files_only=True))  # fmt: skip
    else:
        base = manifest["base"]
        path = Path(base["path"])
        if not (path / "config.json").is_file():
            raise ValueError(
                f"LE checkpoint {ckpt_dir} needs its base model at {path}, which is missing; "
                f"fetch it (`learec models get {base['id']}`) or retrain the LE"
            )
        if dir_hash(path) != base["hash"]:
            raise ValueError(
                f"the base model at {path} differs from the one LE checkpoint {ckpt_dir} was trained on "
                f"(hash {dir_hash(path)[:12]} vs {base['hash'][:12]}); restore it or retrain the LE"
            )
        lm = _pretrained(path, lambda: AutoModelForCausalLM.from_pretrained(
            str(path), dtype=torch.float32, local_files_only=True))  # fmt: skip
        lm.resize_token_embeddings(len(tok), mean_resizing=False)
        if "item_init" not in item_tensors:
            raise ValueError(f"{items_file}: no tensor 'item_init'; {RETRAIN}")
        rows = item_tensors["item_init"]
        width = lm.get_input_embeddings().weight.shape[1]
        if rows.ndim != 2 or rows.shape[0] != manifest["items"]["count"] or rows.shape[1] != width:
            raise ValueError(
                f"{items_file}: 'item_init' has shape {list(rows.shape)}, but {manifest['items']['count']} "
                f"items on a base of width {width} need [{manifest['items']['count']}, {width}]; {RETRAIN}"
            )
        set_item_rows(lm, manifest["items"]["token_offset"], rows)
    if (ckpt_dir / "adapter").is_dir():
        from peft import PeftModel

        adapter = ckpt_dir / "adapter"
        lm = _pretrained(adapter, lambda: PeftModel.from_pretrained(lm, str(adapter), is_trainable=False))
    items = manifest["items"]
    prompts = PromptBuilder(tok, items["token_offset"], items["count"], manifest["config"]["max_history"])
    hidden = decoder_of(lm).config.hidden_size
    text_ids = item_tensors.get("text_ids")
    words = _item_words(manifest, item_tensors, items_file)
    model = LEModel(
        lm,
        prompts,
        hidden,
        int(manifest["item_dim"]),
        bool(manifest["config"].get("reward_state_term")),
        text_ids=text_ids,
        history_pool=bool(manifest["pools_history"]),
        item_words=words,
        words_in_prompt=bool(manifest["config"]["item_words_in_prompt"]),
    )
    heads_file = ckpt_dir / "heads.safetensors"
    heads = read_safetensors(heads_file, RETRAIN)
    described = f"the manifest (hidden={hidden}, item_dim={manifest['item_dim']})"
    proj = {k.split(".", 1)[1]: v for k, v in heads.items() if k.startswith("state_proj.")}
    load_matching(model.state_proj, proj, heads_file, described, RETRAIN)
    head = {k.split(".", 1)[1]: v for k, v in heads.items() if k.startswith("score_head.")}
    head.setdefault("sim_weight", torch.tensor(0.0))  # checkpoints from before the state term
    load_matching(model.score_head, head, heads_file, described, RETRAIN)
    if model.item_words is not None:
        word_vecs = {k.split(".", 1)[1]: v for k, v in heads.items() if k.startswith("item_words.")}
        load_matching(model.item_words, word_vecs, heads_file, described, RETRAIN)
    model.to(device).eval()
    return model, tok, manifest


def _item_words(
    manifest: dict[str, Any], item_tensors: dict[str, torch.Tensor], items_file: Path
) -> ItemWords | None:
    """The item-word module of a checkpoint that has one (its vectors are loaded with the heads)."""
    info = manifest["item_words"]
    if info is None:
        return None
    ids = item_tensors.get("word_ids")
    n = manifest["items"]["count"]
    if ids is None or ids.ndim != 2 or ids.shape[0] != n or (ids.numel() and int(ids.max()) >= info["words"]):
        raise ValueError(
            f"{items_file}: 'word_ids' must be [{n}, W] ids below {info['words']} (the manifest's item "
            f"words), got {None if ids is None else list(ids.shape)}; {RETRAIN}"
        )
    return ItemWords(ids, info["words"], int(manifest["item_dim"]))


def _pretrained(folder: Path, load: Any) -> Any:
    """``load()`` (a transformers/peft ``from_pretrained``), its failure one sentence naming ``folder``."""
    try:
        return load()
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise ValueError(f"{folder}: cannot be loaded ({reason}); {RETRAIN}") from None


def read_user_sessions(ckpt_dir: Path) -> np.ndarray:
    """The training sessions the LE was adapted on (sorted int64)."""
    path = Path(ckpt_dir) / "user_sessions.npy"
    try:
        sessions = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: unreadable ({exc}); {RETRAIN}") from None
    if sessions.ndim != 1 or not np.issubdtype(sessions.dtype, np.integer):
        raise ValueError(f"{path}: expected a 1-D integer array, got {sessions.dtype}{list(sessions.shape)}")
    return sessions


def read_raw_ids(ckpt_dir: Path) -> list[str]:
    """The LE's item vocabulary; a ValueError naming raw_ids.json when it is not a list of strings."""
    path = Path(ckpt_dir) / "raw_ids.json"
    try:
        ids = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: unreadable ({exc}); {RETRAIN}") from None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ValueError(f"{path}: expected a JSON list of string item ids; {RETRAIN}")
    return ids


def update_metrics(ckpt_dir: Path, metrics: dict[str, Any]) -> None:
    """Merge ``metrics`` into the manifest (atomically); the checkpoint hash does not change."""
    manifest = read_manifest(ckpt_dir)
    manifest.setdefault("metrics", {}).update(metrics)
    atomic.write_json(manifest, Path(ckpt_dir) / MANIFEST)
