"""A Ray Data datasource reading the unfinished labeling parts, one read task per part.

Kept apart from ``parts.py`` so that importing the labeling config (the CLI does) does not import Ray.
``ray.data.read_parquet`` would read whole files without telling which rows belong to which part; this
datasource reads exact row ranges and tags them, which is what resume-by-part needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ray.data.block import BlockMetadata
from ray.data.datasource import Datasource, ReadTask

from learec.platform.labeling.parts import Part, read_part


class PartsDatasource(Datasource):
    """One read task per part, so Ray schedules, streams and retries the reads part by part."""

    def __init__(self, parts: Sequence[Part]) -> None:
        super().__init__()
        self._parts = list(parts)

    def get_name(self) -> str:
        return "LabelingParts"

    def estimate_inmemory_data_size(self) -> int | None:
        return None

    def get_read_tasks(
        self, parallelism: int, per_task_row_limit: int | None = None, data_context: Any = None
    ) -> list[ReadTask]:
        return [self._task(p, per_task_row_limit) for p in self._parts]

    @staticmethod
    def _task(part: Part, per_task_row_limit: int | None) -> ReadTask:
        meta = BlockMetadata(num_rows=part.rows, size_bytes=None, input_files=[part.path], exec_stats=None)
        return ReadTask(lambda: [read_part(part)], meta, per_task_row_limit=per_task_row_limit)
