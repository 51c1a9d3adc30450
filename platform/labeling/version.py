"""``label_version``: which LE checkpoint and which labeling settings produced a set of labels.

Labels from different models or settings must never be mixed (DESIGN.md, labeled transitions), so every
labeled row carries this short hash and the pipeline writes each version into its own folder. Only what
changes the labels goes in: the checkpoint hash and the config fields declared with
``opt(..., affects_labels=True)`` (``k``, ``dtype``, ``engine``). Batch size, pool size and partitioning
change how fast labels come, not what they are, so a rerun with other values resumes the same version.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

# Bump when the labeler's output for the same checkpoint and fields changes (a new column or meaning).
# 2: le_pos_rewards (the LE reward of each positive action) joined the labels.
LABEL_FORMAT = 2
VERSION_CHARS = 16


def label_settings(config: Any) -> dict[str, Any]:
    """The fields of a labeling config that change the labels, by name."""
    return {
        f.name: getattr(config, f.name)
        for f in dataclasses.fields(config)
        if f.metadata.get("affects_labels", False)
    }


def label_version(checkpoint_hash: str, labeling_config: Any) -> str:
    """A short sha256 of the LE checkpoint hash and the label-affecting config fields."""
    if not checkpoint_hash:
        raise ValueError("label_version needs the LE checkpoint hash; got an empty string")
    payload = {"checkpoint": checkpoint_hash, "format": LABEL_FORMAT, **label_settings(labeling_config)}
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:VERSION_CHARS]
