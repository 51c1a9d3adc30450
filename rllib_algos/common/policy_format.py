"""The exported-policy format: its files, the served network and how both are written and read.

The served network is network 1's backbone + CE head (:class:`RecNetwork` without a Q head); history
lengths come from the left padding (``pad_id = n_items``), exactly as in training. Export
(``export.py``), the runner's local scorer and ``learec.serve.policy`` all build it here. Plain torch and
safetensors: no Ray or RLlib import, so serving and evaluation load a policy without them.

Layout of a policy directory::

    policy.safetensors   encoder.* and ce_head.* weights (float32)
    items.json           raw item ids, index = dense item id
    config.json          algo, backbone config, n_items, state_len, pad_id, training config
    manifest.json        algo, backbone, n_items, state_len, metrics, sha256 of the weights, created
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from learec.platform.common.atomic import atomic_path
from learec.platform.common.fields import from_dict, to_dict
from learec.rllib_algos.common.backbone_config import BackboneConfig
from learec.rllib_algos.common.heads import RecNetwork

WEIGHTS, ITEMS, CONFIG, MANIFEST = "policy.safetensors", "items.json", "config.json", "manifest.json"
SERVED_PREFIXES = ("encoder.", "ce_head.")  # the parameters of RecNetwork that serving needs
REEXPORT = "export the policy again (`learec train` writes <out>/policy)"


def served_network(backbone: BackboneConfig, n_items: int, state_len: int) -> RecNetwork:
    """The network a policy serves: backbone + CE head, no Q head, no LE fusion."""
    return RecNetwork(backbone, n_items, state_len, with_q=False)


def served_weights(state: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """The served parameters of a network's ``state_dict`` as contiguous float copies (safetensors refuses
    shared storage); values may be tensors or arrays (a learner group's weights)."""
    return {
        k: torch.as_tensor(v).detach().cpu().contiguous().clone()
        for k, v in state.items()
        if k.startswith(SERVED_PREFIXES)
    }


def load_served(
    backbone: BackboneConfig, n_items: int, state_len: int, state: Mapping[str, Any]
) -> RecNetwork:
    """A served network in eval mode holding the served parameters of ``state``."""
    net = served_network(backbone, n_items, state_len)
    net.load_state_dict(served_weights(state))
    return net.eval()


@dataclass(frozen=True)
class PolicyFiles:
    """A policy folder and the file of each part."""

    root: Path

    @property
    def weights(self) -> Path:
        return self.root / WEIGHTS

    @property
    def items(self) -> Path:
        return self.root / ITEMS

    @property
    def config(self) -> Path:
        return self.root / CONFIG

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST


@dataclass(frozen=True)
class StoredPolicy:
    """What a policy folder holds, checked: the served network, the vocabulary and both JSON documents."""

    network: RecNetwork
    raw_ids: list[str]
    config: dict[str, Any]
    manifest: dict[str, Any]


def write_policy(
    out_dir: Path,
    network: RecNetwork,
    backbone: BackboneConfig,
    raw_ids: Sequence[str],
    train: Mapping[str, Any],
    metrics: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``network``'s served part as a policy folder at ``out_dir`` (atomically: whole or not at all)."""
    n_items, state_len = network.n_items, network.state_len
    if len(raw_ids) != n_items:
        raise ValueError(f"raw_ids has {len(raw_ids)} entries but the policy scores {n_items} items")
    algo = str(train.get("algo", "unknown"))
    tensors = served_weights(network.state_dict())
    with atomic_path(out_dir) as tmp:
        tmp.mkdir(parents=True)
        files = PolicyFiles(tmp)
        save_file(tensors, str(files.weights))
        digest = hashlib.sha256(files.weights.read_bytes()).hexdigest()
        files.items.write_text(json.dumps([str(r) for r in raw_ids]) + "\n", encoding="utf-8")
        config = {
            "algo": algo,
            "backbone": to_dict(backbone),
            "n_items": n_items,
            "state_len": state_len,
            "pad_id": n_items,
            "train": dict(train),
        }
        manifest = {
            "algo": algo,
            "backbone": backbone.name,
            "n_items": n_items,
            "state_len": state_len,
            "metrics": dict(metrics or {}),
            "sha256": {WEIGHTS: digest},
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        for path, doc in ((files.config, config), (files.manifest, manifest)):
            path.write_text(json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return Path(out_dir)


def read_policy(path: Path) -> StoredPolicy:
    """Read and check a policy folder; a ValueError names the file at fault and says how to fix it."""
    files = PolicyFiles(Path(path))
    for part in (files.weights, files.items, files.config, files.manifest):
        if not part.is_file():
            raise ValueError(
                f"{files.root}: not an exported policy (missing {part.name}); export one with `learec train`"
            )
    config = _read_json(files.config, dict)
    manifest = _read_json(files.manifest, dict)
    raw_ids = [str(r) for r in _read_json(files.items, list)]
    digest = hashlib.sha256(files.weights.read_bytes()).hexdigest()
    if digest != manifest.get("sha256", {}).get(WEIGHTS):
        raise ValueError(f"{files.weights}: sha256 does not match manifest.json (corrupt or replaced)")
    for key in ("n_items", "state_len", "backbone"):
        if key not in config:
            raise ValueError(f"{files.config}: missing {key!r}; {REEXPORT}")
    n_items = int(config["n_items"])
    if len(raw_ids) != n_items:
        raise ValueError(f"{files.items}: {len(raw_ids)} ids for {n_items} items")
    backbone = from_dict(BackboneConfig, config["backbone"], where=f"{files.config}: backbone")
    network = load_served(backbone, n_items, int(config["state_len"]), load_file(str(files.weights)))
    return StoredPolicy(network, raw_ids, config, manifest)


def _read_json(path: Path, kind: type) -> Any:
    """``path`` parsed as JSON of type ``kind``; a ValueError naming the file otherwise."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}); {REEXPORT}") from None
    if not isinstance(value, kind):
        raise ValueError(
            f"{path}: expected a JSON {'object' if kind is dict else 'array'}, got {type(value).__name__}; "
            f"{REEXPORT}"
        )
    return value
