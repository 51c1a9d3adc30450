"""A policy folder that does not fit its config, or is damaged, is one sentence naming the file."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from learec.rllib_algos.common import policy_format as pf
from learec.rllib_algos.common.backbone_config import BackboneConfig

N_ITEMS, STATE_LEN = 12, 5


@pytest.fixture()
def policy(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    backbone = BackboneConfig(name="gru4rec", hidden=16)
    net = pf.served_network(backbone, N_ITEMS, STATE_LEN)
    raw = [f"sku-{i}" for i in range(N_ITEMS)]
    return pf.write_policy(tmp_path / "policy", net, backbone, raw, {"algo": "ce"})


def edit_json(path: Path, change) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def replace_weights(policy: Path, tensors: dict | None = None, raw: bytes | None = None) -> None:
    """New weights, with the manifest's sha256 updated, so only the later checks can catch them."""
    weights = policy / pf.WEIGHTS
    if raw is None:
        save_file(tensors, str(weights))
    else:
        weights.write_bytes(raw)
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    edit_json(policy / pf.MANIFEST, lambda m: m.__setitem__("sha256", {pf.WEIGHTS: digest}))


def one_sentence(exc: pytest.ExceptionInfo, file: str) -> str:
    text = str(exc.value)
    assert file in text and "\n" not in text, text
    return text


def test_a_good_policy_reads_back(policy: Path) -> None:
    stored = pf.read_policy(policy)
    assert stored.network.n_items == N_ITEMS and len(stored.raw_ids) == N_ITEMS


@pytest.mark.parametrize(
    ("file", "change", "says"),
    [
        (pf.CONFIG, lambda c: c.__setitem__("n_items", "12"), "'n_items' must be an integer, got '12'"),
        (pf.CONFIG, lambda c: c.__setitem__("n_items", True), "'n_items' must be an integer"),
        (pf.CONFIG, lambda c: c.__setitem__("state_len", 10**9), "'state_len' must be in [1, 1000]"),
        (pf.CONFIG, lambda c: c.__setitem__("backbone", "gru4rec"), "'backbone' must be an object"),
        (pf.CONFIG, lambda c: c.pop("state_len"), "missing 'state_len'"),
        (pf.CONFIG, lambda c: c.__setitem__("pad_id", 3), "pad_id 3 is not n_items"),
        (pf.CONFIG, lambda c: c["backbone"].__setitem__("hidden", "wide"), "hidden must be an integer"),
        (pf.MANIFEST, lambda m: m.__setitem__("sha256", "abc"), "'sha256' must be an object"),
    ],
    ids=["n-items-string", "n-items-bool", "state-len-huge", "backbone-string", "no-state-len", "pad-id",
         "hidden-string", "sha-string"],
)  # fmt: skip
def test_wrong_field_types_in_the_json_documents(policy: Path, file: str, change, says: str) -> None:
    edit_json(policy / file, change)
    with pytest.raises(ValueError) as info:
        pf.read_policy(policy)
    assert says in one_sentence(info, file)


def test_item_ids_must_be_strings_and_match_the_count(policy: Path) -> None:
    (policy / pf.ITEMS).write_text(json.dumps([{"id": 1}] * N_ITEMS))
    with pytest.raises(ValueError, match=r"items\.json: entry 0 is \{'id': 1\}, not a string id"):
        pf.read_policy(policy)
    (policy / pf.ITEMS).write_text(json.dumps(["a"] * (N_ITEMS - 1)))
    with pytest.raises(ValueError, match=r"items\.json: 11 ids for 12 items"):
        pf.read_policy(policy)


@pytest.mark.parametrize(
    "header",
    [
        b"{not json",
        json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 999]}}).encode(),
        json.dumps({"w": {"dtype": "F32", "shape": [10**12, 10**12], "data_offsets": [0, 16]}}).encode(),
    ],
    ids=["header-not-json", "offsets-past-the-end", "shape-overflow"],
)
def test_malformed_safetensors_header(policy: Path, header: bytes) -> None:
    replace_weights(policy, raw=struct.pack("<Q", len(header)) + header + b"\0" * 16)
    with pytest.raises(ValueError) as info:
        pf.read_policy(policy)
    assert "not a readable safetensors file" in one_sentence(info, pf.WEIGHTS)


def test_header_length_beyond_the_file(policy: Path) -> None:
    replace_weights(policy, raw=struct.pack("<Q", 1 << 40) + b"{}")
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        pf.read_policy(policy)


def test_weights_of_another_config(policy: Path) -> None:
    """Item count, hidden size and backbone each change a shape or a name; each names the tensor."""
    for backbone, n_items, says in (
        (BackboneConfig(name="gru4rec", hidden=16), N_ITEMS + 3, "has shape [16, 16], but config.json"),
        (
            BackboneConfig(name="gru4rec", hidden=32),
            N_ITEMS,
            "has shape [32], but config.json (gru4rec, hidden=16, n_items=12) needs [16]",
        ),
        (BackboneConfig(name="sasrec", hidden=16), N_ITEMS, "no tensor"),
    ):
        other = pf.served_network(backbone, n_items, STATE_LEN)
        replace_weights(policy, tensors=pf.served_weights(other.state_dict()))
        with pytest.raises(ValueError) as info:
            pf.read_policy(policy)
        assert says in one_sentence(info, pf.WEIGHTS), (backbone, n_items)
    tensors = pf.served_weights(pf.served_network(BackboneConfig(name="gru4rec", hidden=16), N_ITEMS,
                                                  STATE_LEN).state_dict())  # fmt: skip
    tensors["ce_head.extra"] = torch.zeros(1)
    replace_weights(policy, tensors=tensors)
    with pytest.raises(ValueError, match="tensor 'ce_head.extra' has no place"):
        pf.read_policy(policy)
