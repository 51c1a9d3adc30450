"""PNG figures for the run report, drawn with matplotlib's Agg canvas (no pyplot, no display, no global
state), imported lazily so the rest of ``eval`` does not pay for matplotlib. Each figure is written
atomically (temporary file, then rename)."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from learec.platform.common.atomic import atomic_path

log = logging.getLogger(__name__)

# (mean, std) per model for one metric; std may be NaN (a single seed), drawn as no error bar
Bars = Mapping[str, tuple[float, float]]


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Any, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    log.debug("wrote %s", path)
    return path


def _err(std: float) -> float:
    return 0.0 if math.isnan(std) else std


def grouped_bars(
    panels: Mapping[str, Mapping[str, Bars]], path: Path, ylabel: str = "", title: str = ""
) -> Path:
    """One panel per key of ``panels`` (e.g. clicks, purchases); in each, one group of bars per model and
    one bar per series (e.g. HR@10, NDCG@10), with ±std error bars.

    ``panels[panel][series][model] = (mean, std)``.
    """
    import numpy as np

    models = list(dict.fromkeys(m for series in panels.values() for bars in series.values() for m in bars))
    width_in = max(5.0, 1.2 + 0.9 * len(models))
    # Side by side while the figure stays readable; stacked when many models make each panel wide.
    stacked = width_in * len(panels) > 16
    fig = _figure(width_in, 4.2 * len(panels)) if stacked else _figure(width_in * len(panels), 4.2)
    grid = (len(panels), 1) if stacked else (1, len(panels))
    axes = fig.subplots(*grid, squeeze=False).ravel()
    x = np.arange(len(models))
    for ax, (panel, series) in zip(axes, panels.items(), strict=True):
        width = 0.8 / max(1, len(series))
        for i, (name, bars) in enumerate(series.items()):
            means = [bars.get(m, (math.nan, math.nan))[0] for m in models]
            errs = [_err(bars.get(m, (math.nan, math.nan))[1]) for m in models]
            ax.bar(x + (i - (len(series) - 1) / 2) * width, means, width, yerr=errs, capsize=3, label=name)
        ax.set_xticks(x, models, rotation=30, ha="right")
        ax.set_title(panel)
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", alpha=0.3)
        if len(series) > 1:
            ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def loss_curves(curves: Mapping[str, Sequence[tuple[int, Mapping[str, float]]]], path: Path) -> Path:
    """One panel per loss name, one line per model: ``curves[model] = [(step, {loss: value}), ...]``."""
    names = list(dict.fromkeys(name for points in curves.values() for _, losses in points for name in losses))
    cols = min(3, max(1, len(names)))
    rows = math.ceil(len(names) / cols)
    fig = _figure(4.2 * cols, 3.2 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        for model, points in curves.items():
            xy = [(step, losses[name]) for step, losses in points if name in losses]
            if xy:
                ax.plot(
                    [s for s, _ in xy], [v for _, v in xy], marker="." if len(xy) < 30 else None, label=model
                )
        ax.set_title(name)
        ax.set_xlabel("training iteration")
        ax.grid(alpha=0.3)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    if len(curves) > 1 and names:
        axes[0].legend(fontsize="small")
    return _save(fig, path)
