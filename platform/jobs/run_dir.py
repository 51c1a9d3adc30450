"""One folder per run (``runs/<name>/``): config, data, checkpoints, labels, metrics, report.

Stages record completion in ``stages.json`` so that an interrupted ``learec run`` resumes where it stopped
instead of redoing finished work. A stage is only marked done after its outputs were written atomically.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learec.platform.common import atomic, outputs

STAGES_FILE = "stages.json"


def is_run_folder(root: Path) -> bool:
    """A run's marker, or the stages file of a run written before markers existed."""
    return outputs.kind_of(root) == "run" or (
        outputs.kind_of(root) is None and (root / STAGES_FILE).is_file()
    )


@dataclass(frozen=True)
class RunDir:
    root: Path

    @classmethod
    def create(cls, runs_dir: str | Path, name: str) -> RunDir:
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"run name {name!r} must be a plain folder name such as 'shop'")
        from learec.platform.jobs.output_paths import resolve_output

        root = resolve_output(runs_dir, "runs_dir").resolve() / name
        if not is_run_folder(root):
            outputs.check_replaceable(root, "run")  # never resume into a folder learec did not write
        root.mkdir(parents=True, exist_ok=True)
        if outputs.kind_of(root) is None:
            outputs.write_marker(root, "run")
        return cls(root)

    @classmethod
    def open(cls, root: str | Path) -> RunDir:
        """An existing run folder (``learec report``); a ValueError when ``root`` is not one."""
        path = outputs.resolve_path(root)
        if not is_run_folder(path):
            raise ValueError(
                f"{path} is not a learec run folder (no {outputs.MARKER_FILE}); pass runs/<name>"
            )
        return cls(path)

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    # stage bookkeeping ------------------------------------------------------------------------------
    @property
    def _stages_file(self) -> Path:
        return self.root / STAGES_FILE

    def stages(self) -> dict[str, Any]:
        if not self._stages_file.exists():
            return {}
        return json.loads(self._stages_file.read_text(encoding="utf-8"))

    def is_done(self, stage: str, fingerprint: str) -> bool:
        """True when ``stage`` finished before with the same inputs (``fingerprint``)."""
        entry = self.stages().get(stage)
        return bool(entry) and entry.get("fingerprint") == fingerprint

    def mark_done(self, stage: str, fingerprint: str, **info: Any) -> None:
        stages = self.stages()
        stages[stage] = {"fingerprint": fingerprint, "finished": time.strftime("%Y-%m-%dT%H:%M:%S"), **info}
        atomic.write_json(stages, self._stages_file)

    def stage_info(self, stage: str) -> dict[str, Any]:
        return dict(self.stages().get(stage, {}))
