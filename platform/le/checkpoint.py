"""LE checkpoint folder: everything needed to rebuild the exact LE offline, plus ``manifest.json``.

Layout::

    manifest.json        base model id/path + hash, item vocab hash + count, config, user subset, metrics
    tokenizer/           tokenizer with the item tokens
    base/                full base weights when they cannot be rebuilt (random tiny base; or trained base)
    adapter/             peft LoRA adapter + item-token rows (absent when the whole base trained)
    heads.safetensors    state projection W and score head f
    items.safetensors    initial item-token rows (re-applied on a pretrained base before the adapter) and
                         the token ids of each item text (item vectors add their mean embedding)
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
from learec.platform.le.backbone import decoder_of, dir_hash
from learec.platform.le.item_tokens import set_item_rows
from learec.platform.le.le_model import LEModel
from learec.platform.le.prompts import PromptBuilder

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = "learec-le/1"


def vocab_hash(raw_ids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(map(str, raw_ids)).encode()).hexdigest()


def read_manifest(ckpt_dir: Path) -> dict[str, Any]:
    path = Path(ckpt_dir) / MANIFEST
    if not path.is_file():
        raise ValueError(
            f"{ckpt_dir} is not an LE checkpoint (no {MANIFEST}); train one with `learec le train`"
        )
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{path}: format {manifest.get('format')!r} is not {FORMAT!r}; retrain the LE")
    manifest.setdefault("pools_history", False)  # written before the pooled state existed
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
    save_file(
        {k: v.detach().cpu().contiguous() for k, v in heads.items()}, str(tmp_dir / "heads.safetensors")
    )
    items = {"item_init": init_rows.detach().cpu().contiguous()}
    if model.text_ids is not None:
        items["text_ids"] = model.text_ids.detach().cpu().contiguous()
    save_file(items, str(tmp_dir / "items.safetensors"))
    (tmp_dir / "raw_ids.json").write_text(json.dumps(list(map(str, raw_ids))))
    np.save(tmp_dir / "user_sessions.npy", np.asarray(user_sessions, dtype=np.int64), allow_pickle=False)
    (tmp_dir / MANIFEST).write_text(
        json.dumps({"format": FORMAT, **manifest}, indent=2, sort_keys=True) + "\n"
    )


def load_le_model(ckpt_dir: Path, device: str = "cpu") -> tuple[LEModel, Any, dict[str, Any]]:
    """Rebuild the LE (eval mode, no dropout) and its tokenizer from a checkpoint folder."""
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    ckpt_dir = Path(ckpt_dir)
    manifest = read_manifest(ckpt_dir)
    tok = AutoTokenizer.from_pretrained(str(ckpt_dir / "tokenizer"), local_files_only=True)
    base_dir = ckpt_dir / "base"
    if base_dir.is_dir():
        lm = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32, local_files_only=True)
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
        lm = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32, local_files_only=True)
        lm.resize_token_embeddings(len(tok), mean_resizing=False)
        set_item_rows(
            lm, manifest["items"]["token_offset"], load_file(str(ckpt_dir / "items.safetensors"))["item_init"]
        )
    if (ckpt_dir / "adapter").is_dir():
        from peft import PeftModel

        lm = PeftModel.from_pretrained(lm, str(ckpt_dir / "adapter"), is_trainable=False)
    items = manifest["items"]
    prompts = PromptBuilder(tok, items["token_offset"], items["count"], manifest["config"]["max_history"])
    hidden = decoder_of(lm).config.hidden_size
    text_ids = load_file(str(ckpt_dir / "items.safetensors")).get("text_ids")
    model = LEModel(
        lm,
        prompts,
        hidden,
        int(manifest["item_dim"]),
        bool(manifest["config"].get("reward_state_term")),
        text_ids=text_ids,
        history_pool=bool(manifest["pools_history"]),
    )
    heads = load_file(str(ckpt_dir / "heads.safetensors"))
    model.state_proj.load_state_dict(
        {k.split(".", 1)[1]: v for k, v in heads.items() if k.startswith("state_proj.")}
    )
    head = {k.split(".", 1)[1]: v for k, v in heads.items() if k.startswith("score_head.")}
    head.setdefault("sim_weight", torch.tensor(0.0))  # checkpoints from before the state term
    model.score_head.load_state_dict(head)
    model.to(device).eval()
    return model, tok, manifest


def read_user_sessions(ckpt_dir: Path) -> np.ndarray:
    """The training sessions the LE was adapted on (sorted int64)."""
    return np.load(Path(ckpt_dir) / "user_sessions.npy", allow_pickle=False)


def read_raw_ids(ckpt_dir: Path) -> list[str]:
    return json.loads((Path(ckpt_dir) / "raw_ids.json").read_text())


def update_metrics(ckpt_dir: Path, metrics: dict[str, Any]) -> None:
    """Merge ``metrics`` into the manifest (atomically); the checkpoint hash does not change."""
    manifest = read_manifest(ckpt_dir)
    manifest.setdefault("metrics", {}).update(metrics)
    atomic.write_json(manifest, Path(ckpt_dir) / MANIFEST)
