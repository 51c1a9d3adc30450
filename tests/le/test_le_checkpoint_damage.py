"""A damaged LE checkpoint, or one whose weights do not fit its manifest, is one sentence naming the file."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from learec.platform.le.checkpoint import load_le_model, read_manifest, read_raw_ids, read_user_sessions


@pytest.fixture()
def ckpt(full_ckpt: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "ckpt"
    shutil.copytree(full_ckpt, copy)
    return copy


def refused(ckpt: Path, file: str, says: str) -> None:
    with pytest.raises(ValueError) as info:
        load_le_model(ckpt)
    text = str(info.value)
    assert file in text and says in text and "\n" not in text, text


def test_the_copy_loads(ckpt: Path) -> None:
    model, _, manifest = load_le_model(ckpt)
    assert manifest["items"]["count"] > 0 and model is not None


@pytest.mark.parametrize(
    ("keys", "value", "says"),
    [
        (("item_dim",), "32", "item_dim must be an integer, got '32'"),
        (("items", "token_offset"), 1.5, "items.token_offset must be an integer"),
        (("items",), [1, 2], "items must be an object"),
        (("config", "max_history"), None, "config.max_history must be an integer, got None"),
    ],
)
def test_wrong_field_types_in_the_manifest(ckpt: Path, keys: tuple[str, ...], value, says: str) -> None:
    path = ckpt / "manifest.json"
    doc = json.loads(path.read_text())
    target = doc
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="manifest.json") as info:
        read_manifest(ckpt)
    assert says in str(info.value)


def test_manifest_not_json(ckpt: Path) -> None:
    (ckpt / "manifest.json").write_text("{broken")
    with pytest.raises(ValueError, match=r"manifest\.json: not valid JSON"):
        read_manifest(ckpt)


def test_malformed_safetensors_header(ckpt: Path) -> None:
    header = b'{"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4096]}}'
    (ckpt / "heads.safetensors").write_bytes(struct.pack("<Q", len(header)) + header)
    refused(ckpt, "heads.safetensors", "not a readable safetensors file")
    (ckpt / "items.safetensors").write_bytes(b"\xff" * 7)
    refused(ckpt, "items.safetensors", "not a readable safetensors file")


def test_heads_of_another_size(ckpt: Path) -> None:
    heads = load_file(str(ckpt / "heads.safetensors"))
    name = next(k for k in heads if k.startswith("state_proj.") and heads[k].ndim == 2)
    wider = dict(heads)
    wider[name] = torch.zeros(heads[name].shape[0] + 1, heads[name].shape[1])
    save_file(wider, str(ckpt / "heads.safetensors"))
    refused(ckpt, "heads.safetensors", f"tensor {name.split('.', 1)[1]!r} has shape")
    missing = {k: v for k, v in heads.items() if k != name}
    save_file(missing, str(ckpt / "heads.safetensors"))
    refused(ckpt, "heads.safetensors", "no tensor")


def test_vocabulary_and_sessions_files(ckpt: Path) -> None:
    (ckpt / "raw_ids.json").write_text(json.dumps([1, 2, 3]))
    with pytest.raises(ValueError, match=r"raw_ids\.json: expected a JSON list of string item ids"):
        read_raw_ids(ckpt)
    (ckpt / "user_sessions.npy").write_bytes(b"not numpy")
    with pytest.raises(ValueError, match=r"user_sessions\.npy: unreadable"):
        read_user_sessions(ckpt)


def test_broken_base_folder(ckpt: Path) -> None:
    base = ckpt / "base"
    assert base.is_dir()  # the tiny random base is stored whole
    (base / "config.json").write_text("{")
    refused(ckpt, "base", "cannot be loaded")
