"""PNG figures of a Tune sweep: the validation metric against each searched key, and the trial curves."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from learec.platform.eval.plots import _figure, _save


def metric_vs_params(
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    metric: str,
    path: Path,
    log_keys: Sequence[str] = (),
) -> Path:
    """One panel per searched key: each trial's final ``metric`` against its value of the key.

    Trials stopped early by ASHA are drawn hollow: their figure comes from fewer iterations.
    """
    cols = min(3, max(1, len(keys)))
    n_rows = math.ceil(len(keys) / cols)
    fig = _figure(4.2 * cols, 3.4 * n_rows)
    axes = fig.subplots(n_rows, cols, squeeze=False).ravel()
    for ax, key in zip(axes, keys, strict=False):
        values = [r[key] for r in rows]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        labels = sorted({str(v) for v in values})
        for stopped in (False, True):
            picked = [r for r in rows if bool(r["stopped_early"]) == stopped]
            xs = [r[key] if numeric else labels.index(str(r[key])) for r in picked]
            ax.scatter(
                xs,
                [r[metric] for r in picked],
                facecolors="none" if stopped else "C0",
                edgecolors="C0",
                label="stopped by ASHA" if stopped else "ran to the end",
            )
        if not numeric:
            ax.set_xticks(range(len(labels)), labels, rotation=20)
        elif key in log_keys:
            ax.set_xscale("log")
        ax.set_xlabel(key.removeprefix("train."))
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    for ax in axes[len(keys) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize="small")
    return _save(fig, path)


def trial_curves(
    curves: Mapping[str, Sequence[tuple[int, float]]], max_t: int, metric: str, path: Path
) -> Path:
    """``metric`` against training iterations, one line per trial; a cross marks where ASHA stopped one."""
    fig = _figure(7.0, 4.2)
    ax = fig.subplots()
    for i, (trial, points) in enumerate(sorted(curves.items())):
        if not points:
            continue
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        ax.plot(xs, ys, marker=".", color=f"C{i % 10}", label=trial)
        if xs[-1] < max_t:
            ax.plot(xs[-1], ys[-1], marker="x", markersize=10, color=f"C{i % 10}")
    ax.axvline(max_t, color="grey", alpha=0.4, linestyle="--")
    ax.set_xlabel("training iteration (x: stopped by ASHA)")
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    if len(curves) <= 12:
        ax.legend(fontsize="x-small", ncol=2)
    return _save(fig, path)
