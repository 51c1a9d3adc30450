"""Export a trained policy for serving: network 1's backbone + CE head, without RLlib.

Layout of the export directory (read by :mod:`learec.serve.policy`)::

    policy.safetensors   encoder.* and ce_head.* weights (float32)
    items.json           raw item ids, index = dense item id
    config.json          algo, backbone config, n_items, state_len, pad_id, training config
    manifest.json        algo, backbone, n_items, state_len, metrics, sha256 of the weights, created
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from learec.platform.common.atomic import atomic_path
from learec.platform.common.fields import to_dict

log = logging.getLogger(__name__)

WEIGHTS = "policy.safetensors"
ITEMS = "items.json"
CONFIG = "config.json"
MANIFEST = "manifest.json"
SERVED_PREFIXES = ("encoder.", "ce_head.")
MODULE_SUBDIR = Path("learner_group") / "learner" / "rl_module" / "default_policy"


def load_module(checkpoint_dir: Path) -> Any:
    """The RLModule stored in an algorithm checkpoint (``Algorithm.save_to_path``)."""
    from ray.rllib.core.rl_module.rl_module import RLModule

    path = Path(checkpoint_dir) / MODULE_SUBDIR
    if not path.is_dir():
        raise ValueError(f"{checkpoint_dir}: not an RLlib algorithm checkpoint (no {MODULE_SUBDIR})")
    return RLModule.from_checkpoint(str(path))


def served_state(module: Any) -> dict[str, torch.Tensor]:
    """Network 1's encoder and CE head, contiguous float copies (safetensors refuses shared storage)."""
    state = module.net1.state_dict()
    return {
        k: v.detach().cpu().contiguous().clone() for k, v in state.items() if k.startswith(SERVED_PREFIXES)
    }


def export_policy(
    source: Path | Any,
    out_dir: Path,
    raw_ids: Sequence[str],
    config: Mapping[str, Any] | Any,
    metrics: Mapping[str, Any] | None = None,
) -> Path:
    """Write the serving directory for ``source`` (a checkpoint directory or a ``RecTorchRLModule``).

    ``config`` is the training config (a dataclass or a mapping with at least ``algo``).
    """
    module = load_module(Path(source)) if isinstance(source, str | Path) else source
    n_items, state_len = module.n_items, module.state_len
    if len(raw_ids) != n_items:
        raise ValueError(f"raw_ids has {len(raw_ids)} entries but the policy scores {n_items} items")
    train = config if isinstance(config, Mapping) else to_dict(config)
    algo = str(train.get("algo", "unknown"))
    backbone = to_dict(module.params.backbone)
    tensors = served_state(module)
    with atomic_path(out_dir, kind="policy") as tmp:
        tmp.mkdir(parents=True)
        save_file(tensors, str(tmp / WEIGHTS))
        digest = hashlib.sha256((tmp / WEIGHTS).read_bytes()).hexdigest()
        (tmp / ITEMS).write_text(json.dumps([str(r) for r in raw_ids]) + "\n", encoding="utf-8")
        cfg = {
            "algo": algo,
            "backbone": backbone,
            "n_items": n_items,
            "state_len": state_len,
            "pad_id": n_items,
            "train": train,
        }
        cfg_text = json.dumps(cfg, indent=2, sort_keys=True, default=str) + "\n"
        (tmp / CONFIG).write_text(cfg_text, encoding="utf-8")
        manifest = {
            "algo": algo,
            "backbone": backbone.get("name"),
            "n_items": n_items,
            "state_len": state_len,
            "metrics": dict(metrics or {}),
            "sha256": {WEIGHTS: digest},
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        (tmp / MANIFEST).write_text(
            json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
        )
    log.info("exported %s policy (%d items) to %s", algo, n_items, out_dir)
    return Path(out_dir)
