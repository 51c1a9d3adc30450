"""Terminal output for the CLI: one rich console, progress bars fed by library callbacks."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=True, highlight=False)


def interactive() -> bool:
    return sys.stderr.isatty()


class ProgressReporter:
    """Callable ``(task, done, total)`` that library code calls; renders one bar per task name.

    Without a TTY (CI, logs) it prints a line when a task starts and when it finishes instead.
    """

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._tasks: dict[str, Any] = {}
        self._reported: set[str] = set()

    def __call__(self, task: str, done: int, total: int) -> None:
        if self._progress is None:
            if task not in self._reported:
                self._reported.add(task)
                console.print(f"  {task} ...")
            return
        if task not in self._tasks:
            self._tasks[task] = self._progress.add_task(task, total=total or None)
        self._progress.update(self._tasks[task], completed=done, total=total or None)


@contextlib.contextmanager
def progress_bars() -> Iterator[ProgressReporter]:
    if not interactive():
        yield ProgressReporter(None)
        return
    columns = (TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        yield ProgressReporter(progress)


def stage(title: str) -> None:
    console.print(f"[bold cyan]▶ {title}[/]")


def done(message: str) -> None:
    console.print(f"[green]✓[/] {message}")


def error(message: str) -> None:
    console.print(f"[bold red]error:[/] {message}")


def print_metrics(metrics: dict[str, Any], title: str = "metrics") -> None:
    """A two-column table of metric name -> value (floats to 4 decimals)."""
    from rich.table import Table

    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in sorted(metrics):
        value = metrics[key]
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    console.print(table)
