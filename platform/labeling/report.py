"""What a labeling run did: ``labeling_report.json`` next to the labels, and the progress callback type."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learec.platform.common import atomic

REPORT_NAME = "labeling_report.json"

# progress(done_rows, total_rows): the CLI renders it as a bar; library code never prints.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class LabelingReport:
    """Figures of one ``label_transitions`` call (a resumed run counts only what it labeled itself)."""

    label_version: str
    checkpoint_hash: str
    output_dir: str  # the folder holding this version's parts
    rows_total: int
    rows_labeled: int  # rows labeled by this run (skipped parts excluded)
    parts_total: int
    parts_done: int  # parts written by this run
    parts_skipped: int  # parts already present from an earlier run
    duplicate_rows_dropped: int  # rows a retried task sent twice, dropped on the driver
    tokens_processed: int  # LE prompt tokens of this run, summed over actors
    wall_time_s: float
    rows_per_s: float  # rows_labeled / wall_time_s
    actors: int  # upper bound of the actor pool
    device: str
    num_gpus_per_actor: float
    gpu_hours: float  # GPUs reserved x wall time (an upper bound); 0 on CPU
    batch_size: int

    @classmethod
    def build(
        cls, *, wall_time_s: float, actors: int, num_gpus_per_actor: float, rows_labeled: int, **fields: Any
    ) -> LabelingReport:
        """Derive ``rows_per_s`` and ``gpu_hours`` from the measured figures."""
        return cls(
            wall_time_s=round(wall_time_s, 3),
            rows_per_s=round(rows_labeled / wall_time_s, 2) if wall_time_s > 0 else 0.0,
            actors=actors,
            num_gpus_per_actor=num_gpus_per_actor,
            gpu_hours=round(actors * num_gpus_per_actor * wall_time_s / 3600.0, 6),
            rows_labeled=rows_labeled,
            **fields,
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def write(self, output_dir: Path) -> Path:
        """Write ``labeling_report.json`` into ``output_dir`` atomically."""
        return atomic.write_json(self.to_dict(), Path(output_dir) / REPORT_NAME)
