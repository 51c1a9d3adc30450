"""Export a trained policy for serving: network 1 of an RLlib checkpoint (or module), in the format of
``policy_format.py`` (backbone + CE head, without RLlib)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from learec.platform.common.fields import to_dict
from learec.rllib_algos.common.policy_format import write_policy

log = logging.getLogger(__name__)

MODULE_SUBDIR = Path("learner_group") / "learner" / "rl_module" / "default_policy"


def load_module(checkpoint_dir: Path) -> Any:
    """The RLModule stored in an algorithm checkpoint (``Algorithm.save_to_path``)."""
    from ray.rllib.core.rl_module.rl_module import RLModule

    path = Path(checkpoint_dir) / MODULE_SUBDIR
    if not path.is_dir():
        raise ValueError(f"{checkpoint_dir}: not an RLlib algorithm checkpoint (no {MODULE_SUBDIR})")
    return RLModule.from_checkpoint(str(path))


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
    train = dict(config) if isinstance(config, Mapping) else to_dict(config)
    out = write_policy(out_dir, module.net1, module.params.backbone, raw_ids, train, metrics)
    log.info("exported %s policy (%d items) to %s", train.get("algo", "unknown"), module.n_items, out_dir)
    return out
