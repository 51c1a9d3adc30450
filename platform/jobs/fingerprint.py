"""Stable short hashes of configs, so a stage reruns only when its inputs changed."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from learec.platform.common.fields import to_dict


def fingerprint(*parts: Any) -> str:
    """sha256 (12 hex chars) of the JSON form of ``parts`` (dataclasses, dicts, strings...)."""
    plain = [to_dict(p) for p in parts]
    text = json.dumps(plain, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
