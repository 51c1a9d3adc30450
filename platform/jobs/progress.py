"""Progress of long stages as plain lines, for logs without a terminal (``ray job submit``, CI, ``> file``).

Library code reports ``(task, done, total)`` and, for training, a ``detail`` such as the loss. A
:class:`ProgressLog` turns that into one line when a task starts, then at most one every ``interval_s``
seconds with count, detail, elapsed time and ETA, and one when it finishes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_INTERVAL_S = 5.0


def clock(seconds: float) -> str:
    """``h:mm:ss`` for a number of seconds."""
    s = max(0, round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


@dataclass
class _Task:
    started: float
    last_line: float
    finished: bool = False


@dataclass
class ProgressLog:
    """Callable ``(task, done, total, detail="")`` that writes throttled progress lines to ``emit``."""

    emit: Callable[[str], None]
    interval_s: float = DEFAULT_INTERVAL_S
    now: Callable[[], float] = time.monotonic
    _tasks: dict[str, _Task] = field(default_factory=dict)

    def __call__(self, task: str, done: int, total: int, detail: str = "") -> None:
        t = self.now()
        state = self._tasks.get(task)
        if state is None:
            state = self._tasks[task] = _Task(started=t, last_line=t)
            self.emit(f"  {task} ...")
        if state.finished:
            return
        complete = bool(total) and done >= total
        if not complete and t - state.last_line < self.interval_s:
            return
        state.last_line = t
        state.finished = complete
        self.emit(f"  {task}: {self.line(done, total, detail, t - state.started)}")

    @staticmethod
    def line(done: int, total: int, detail: str, elapsed: float) -> str:
        parts = [f"{done}/{total} ({done / total:.0%})" if total else str(done)]
        if detail:
            parts.append(detail)
        parts.append(f"elapsed {clock(elapsed)}")
        if total and 0 < done < total:
            parts.append(f"ETA {clock(elapsed / done * (total - done))}")
        elif total and done >= total:
            parts.append("done")
        return ", ".join(parts)
