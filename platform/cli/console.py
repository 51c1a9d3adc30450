"""Terminal output for the CLI: one rich console, progress bars fed by library callbacks."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from learec.platform.jobs.progress import ProgressLog

console = Console(stderr=True, highlight=False)


def interactive() -> bool:
    return sys.stderr.isatty()


class ProgressReporter:
    """Callable ``(task, done, total, detail="")`` that library code calls; renders one bar per task name.

    Without a TTY (CI, ``ray job submit`` logs, a file) it prints throttled lines instead: the count,
    the detail (e.g. the loss), elapsed time and ETA every few seconds (:class:`ProgressLog`).
    """

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._tasks: dict[str, Any] = {}
        self._lines = ProgressLog(lambda line: console.print(line, markup=False))

    def __call__(self, task: str, done: int, total: int, detail: str = "") -> None:
        if self._progress is None:
            self._lines(task, done, total, detail)
            return
        label = escape(f"{task} ({detail})" if detail else task)
        if task not in self._tasks:
            self._tasks[task] = self._progress.add_task(label, total=total or None)
        self._progress.update(self._tasks[task], completed=done, total=total or None, description=label)


@contextlib.contextmanager
def progress_bars() -> Iterator[ProgressReporter]:
    if not interactive():
        yield ProgressReporter(None)
        return
    columns = (TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        yield ProgressReporter(progress)


# Messages carry user data (paths, ids, values from files): escape them so Rich never reads a "[...]"
# in a value as markup, which could change the message or crash the error path.
def stage(title: str) -> None:
    console.print(f"[bold cyan]▶ {escape(title)}[/]")


def done(message: str) -> None:
    console.print(f"[green]✓[/] {escape(message)}")


def error(message: str) -> None:
    console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)


def warning(message: str) -> None:
    console.print(f"[yellow]warning:[/] {escape(message)}")


def print_metrics(metrics: dict[str, Any], title: str = "metrics") -> None:
    """A two-column table of metric name -> value (floats to 4 decimals)."""
    from rich.table import Table

    table = Table(title=escape(title), show_header=True, header_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in sorted(metrics):
        value = metrics[key]
        table.add_row(escape(key), escape(f"{value:.4f}" if isinstance(value, float) else str(value)))
    console.print(table)
