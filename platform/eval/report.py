"""The run report: ``<run_dir>/report.md`` with markdown tables and ``<run_dir>/plots/*.png``.

A :class:`RunReport` is plain data that every stage can fill: offline results (one row per model and
seed), training curves, online (simulator) results and free markdown sections (LE quality, labeling cost,
...). :func:`write_report` aggregates seeds (mean ± std), marks the best value per column in bold, draws the
plots and writes everything atomically, plots first, so ``report.md`` never links a missing figure.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from learec.platform.common import atomic
from learec.platform.data import schema
from learec.platform.eval.metrics import METRICS
from learec.platform.eval.protocol import (
    ALL_EVENTS,
    COVERAGE,
    NEW_PREFIX,
    NOVELTY,
    TARGET_GROUPS,
    aggregate_seeds,
    count_key,
    format_mean_std,
    parse_metric_key,
)

log = logging.getLogger(__name__)

REPORT_FILE = "report.md"
PLOTS_DIR = "plots"
OFFLINE_PLOT = "offline_hr_ndcg.png"
ONLINE_PLOT = "online.png"
CURVES_PLOT = "training_curves.png"

EVENT_TITLES = {
    schema.CLICK: "Clicks",
    schema.PURCHASE: "Purchases",
    ALL_EVENTS: "All events (clicks and purchases together)",
    NEW_PREFIX + schema.CLICK: "Clicks on new items",
    NEW_PREFIX + schema.PURCHASE: "Purchases of new items",
}
METRIC_TITLES = {"hr": "HR", "ndcg": "NDCG"}

# A result row: {"model": str, "seed": int, "metrics": {key: float}}
ResultRow = Mapping[str, Any]
Curve = Sequence[tuple[int, Mapping[str, float]]]


@dataclass
class RunReport:
    """Everything one run's report shows; every field but ``title`` is optional.

    ``results``: offline rows ``{"model", "seed", "metrics"}`` with metric keys from ``protocol.evaluate``
    (``hr@10/click`` ...); rows of one model are its seeds. ``curves``: ``{model: [(step, {loss: value})]}``.
    ``online``: simulator rows ``{"model", "seed", "metrics"}`` (``purchase_rate`` ...). ``sections``:
    ``{title: markdown}`` appended in order.
    """

    title: str
    intro: str = ""
    config: Mapping[str, Any] = field(default_factory=dict)
    data_stats: Mapping[str, Any] = field(default_factory=dict)
    results: Sequence[ResultRow] = ()
    split: str = "test"
    curves: Mapping[str, Curve] = field(default_factory=dict)
    online: Sequence[ResultRow] = ()
    online_plot_metric: str = "purchase_rate"
    online_lower_is_better: tuple[str, ...] = ()
    sections: dict[str, str] = field(default_factory=dict)
    plot_k: int = 10
    digits: int = 4

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise ValueError("report title must not be empty")
        if self.plot_k < 1:
            raise ValueError(f"report plot_k must be >= 1, got {self.plot_k}")
        if not 0 <= self.digits <= 10:
            raise ValueError(f"report digits must be in [0, 10], got {self.digits}")

    def add_section(self, title: str, markdown: str) -> None:
        if title in self.sections:
            raise ValueError(f"report section {title!r} added twice")
        self.sections[title] = markdown


@dataclass(frozen=True)
class ModelSummary:
    """One model's metrics over its seeds."""

    model: str
    seeds: tuple[int, ...]
    stats: dict[str, tuple[float, float]]  # key -> (mean, std)


def summarize(rows: Sequence[ResultRow], what: str = "results") -> list[ModelSummary]:
    """Group rows by model (first-appearance order) and aggregate each model's seeds."""
    groups: dict[str, list[ResultRow]] = {}
    for i, row in enumerate(rows):
        missing = [key for key in ("model", "seed", "metrics") if key not in row]
        if missing or not isinstance(row["metrics"], Mapping):
            raise ValueError(
                f"{what}[{i}] must be {{'model': str, 'seed': int, 'metrics': dict}}, got {row!r}"
            )
        groups.setdefault(str(row["model"]), []).append(row)
    out = []
    for model, group in groups.items():
        seeds = tuple(int(r["seed"]) for r in group)
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"{what}: model {model!r} has seed rows repeated ({list(seeds)})")
        try:
            stats = aggregate_seeds([r["metrics"] for r in group])
        except ValueError as exc:
            raise ValueError(f"{what}: model {model!r}: {exc}") from None
        out.append(ModelSummary(model, seeds, stats))
    return out


# markdown -------------------------------------------------------------------------------------------------
def _cell(value: Any) -> str:
    if isinstance(value, float):
        value = f"{value:.6g}"
    elif isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _key_value_table(values: Mapping[str, Any]) -> str:
    return _table(["key", "value"], [[f"`{_cell(k)}`", _cell(v)] for k, v in _flatten(values).items()])


def _best(summaries: Sequence[ModelSummary], key: str, higher_is_better: bool | None) -> float | None:
    """The best mean of ``key`` (None when there is nothing to compare or no known direction)."""
    means = [s.stats[key][0] for s in summaries if key in s.stats and not math.isnan(s.stats[key][0])]
    if len(summaries) < 2 or not means or higher_is_better is None:
        return None
    return max(means) if higher_is_better else min(means)


def _metric_table(
    summaries: Sequence[ModelSummary],
    columns: Sequence[tuple[str, str]],
    directions: Mapping[str, bool | None],
    digits: int,
) -> str:
    """``columns`` = (result key, header); the best mean per column in bold."""
    best = {key: _best(summaries, key, directions.get(key)) for key, _ in columns}
    rows = []
    for s in summaries:
        row = [_cell(s.model), str(len(s.seeds))]
        for key, _ in columns:
            if key not in s.stats:
                row.append("–")
                continue
            mean, std = s.stats[key]
            text = format_mean_std(mean, std, digits)
            row.append(f"**{text}**" if best[key] is not None and mean == best[key] else text)
        rows.append(row)
    return _table(["model", "seeds", *(header for _, header in columns)], rows)


def _offline_columns(summaries: Sequence[ModelSummary], event: str) -> list[tuple[str, str]]:
    keys = {key for s in summaries for key in s.stats}
    parsed = [p for p in (parse_metric_key(k) for k in keys) if p is not None and p[2] == event]
    order = {name: i for i, name in enumerate(METRICS)}
    parsed.sort(key=lambda p: (p[1], order.get(p[0], len(order)), p[0]))
    return [(f"{name}@{k}/{event}", f"{METRIC_TITLES.get(name, name)}@{k}") for name, k, _ in parsed]


def _beyond_accuracy_columns(summaries: Sequence[ModelSummary]) -> list[tuple[str, str]]:
    keys = sorted(
        {key for s in summaries for key in s.stats if key.partition("@")[0] in (COVERAGE, NOVELTY)},
        key=lambda key: (int(key.partition("@")[2] or 0), key),
    )
    return [(key, key.replace(COVERAGE, "Coverage").replace(NOVELTY, "Novelty")) for key in keys]


def _event_count(summaries: Sequence[ModelSummary], event: str) -> str:
    counts = {s.stats[count_key(event)][0] for s in summaries if count_key(event) in s.stats}
    if not counts:
        return ""
    if len(counts) > 1:
        log.warning("models were evaluated on different numbers of %s events: %s", event, sorted(counts))
        return f" (event counts differ between models: {', '.join(f'{c:,.0f}' for c in sorted(counts))})"
    return f" ({next(iter(counts)):,.0f} events)"


def _plot_k(summaries: Sequence[ModelSummary], wanted: int) -> int | None:
    ks = sorted({p[1] for s in summaries for k in s.stats if (p := parse_metric_key(k)) is not None})
    if not ks:
        return None
    return wanted if wanted in ks else min(ks, key=lambda k: (abs(k - wanted), k))


def _offline_section(report: RunReport, summaries: list[ModelSummary], plots: dict[str, str]) -> str:
    parts = [
        "## Offline evaluation (full ranking)",
        f"Each event of each {report.split}-split session is a target: the model sees the previous items "
        f"(at most the state length) and ranks **all** items; no sampled negatives (SQN protocol). "
        "HR@k is the share of targets ranked in the top k; NDCG@k also rewards a higher position "
        "(1 / log2(1 + rank)). Clicks and purchases are scored separately, then together (all events). "
        "Cells are mean ± std over seeds (sample std; one seed shows the mean alone); the best mean per "
        "column is **bold**. "
        "Ties between scores count against the target.",
    ]
    directions = {
        key: METRICS[p[0]].higher_is_better if (p := parse_metric_key(key)) and p[0] in METRICS else None
        for s in summaries
        for key in s.stats
    }
    for event in TARGET_GROUPS:
        columns = _offline_columns(summaries, event)
        if not columns:
            continue
        counts = [s.stats[count_key(event)][0] for s in summaries if count_key(event) in s.stats]
        if counts and not any(counts):
            parts.append(
                f"### {EVENT_TITLES[event]}\n\nNone in this split: every such target is in its state."
            )
            continue
        parts.append(f"### {EVENT_TITLES[event]}{_event_count(summaries, event)}")
        if event.startswith(NEW_PREFIX):
            parts.append(
                "Only the targets that are not in the state: what a policy finds beyond repeating what the "
                "user has just seen (on the shop every purchase repeats its click, so the plain purchase "
                "table rewards repeating the last item)."
            )
        parts.append(_metric_table(summaries, columns, directions, report.digits))
    beyond = _beyond_accuracy_columns(summaries)
    if beyond:
        parts.append("### Beyond accuracy")
        parts.append(
            "Coverage: the share of the catalogue that appears in at least one top-k list over the test "
            "states. Novelty: the mean self-information -log2 p(i) of the recommended items, p the item's "
            "share of training interactions (higher: less popular items)."
        )
        parts.append(
            _metric_table(summaries, beyond, dict.fromkeys((k for k, _ in beyond), True), report.digits)
        )
    if OFFLINE_PLOT in plots:
        parts.append(f"![{plots[OFFLINE_PLOT]}]({PLOTS_DIR}/{OFFLINE_PLOT})")
    return "\n\n".join(parts)


def _online_section(report: RunReport, summaries: list[ModelSummary], plots: dict[str, str]) -> str:
    keys = list(dict.fromkeys(k for s in summaries for k in s.stats))
    directions = {k: k not in report.online_lower_is_better for k in keys}
    parts = [
        "## Online evaluation (simulator)",
        "Each policy recommends slates to simulated users of the synthetic shop, whose true preferences are "
        "known; the columns are what those users did (e.g. the share of sessions with a purchase). "
        "Mean ± std over seeds; the best mean per column is **bold**.",
        _metric_table(summaries, [(k, k) for k in keys], directions, report.digits),
    ]
    if ONLINE_PLOT in plots:
        parts.append(f"![{plots[ONLINE_PLOT]}]({PLOTS_DIR}/{ONLINE_PLOT})")
    return "\n\n".join(parts)


def render_markdown(
    report: RunReport,
    offline: list[ModelSummary],
    online: list[ModelSummary],
    plots: Mapping[str, str],
) -> str:
    """The markdown text of ``report`` (``plots``: file name -> caption of the figures that exist)."""
    plots = dict(plots)
    parts = [f"# {report.title}"]
    if report.intro:
        parts.append(report.intro)
    contents = [
        name
        for name, present in (
            ("offline ranking metrics per model", offline),
            ("online simulator results", online),
            ("training curves", report.curves),
            ("extra sections", report.sections),
            ("data statistics", report.data_stats),
            ("run configuration", report.config),
        )
        if present
    ]
    if contents:
        parts.append("This report holds: " + "; ".join(contents) + ".")
    if offline:
        parts.append(_offline_section(report, offline, plots))
    if online:
        parts.append(_online_section(report, online, plots))
    if report.curves:
        parts.append("## Training curves")
        parts.append("Training losses per iteration, one panel per loss term and one line per model.")
        if CURVES_PLOT in plots:
            parts.append(f"![{plots[CURVES_PLOT]}]({PLOTS_DIR}/{CURVES_PLOT})")
    for title, markdown in report.sections.items():
        parts.append(f"## {title}\n\n{markdown.strip()}")
    if report.data_stats:
        parts.append(
            "## Data\n\nSizes and counts of the prepared data the models were trained and tested on."
        )
        parts.append(_key_value_table(report.data_stats))
    if report.config:
        parts.append(
            "## Run configuration\n\nThe settings this run used (the full resolved config is in the "
            "run folder)."
        )
        parts.append(_key_value_table(report.config))
    return "\n\n".join(parts) + "\n"


# plots and files ------------------------------------------------------------------------------------------
def _draw_plots(
    report: RunReport, offline: list[ModelSummary], online: list[ModelSummary], folder: Path
) -> dict[str, str]:
    from learec.platform.eval import plots

    drawn: dict[str, str] = {}
    k = _plot_k(offline, report.plot_k)
    if k is not None:
        panels = {}
        for event in (schema.CLICK, schema.PURCHASE):
            series = {
                f"{METRIC_TITLES.get(name, name)}@{k}": {
                    s.model: s.stats[key] for s in offline if (key := f"{name}@{k}/{event}") in s.stats
                }
                for name in ("hr", "ndcg")
            }
            series = {label: bars for label, bars in series.items() if bars}
            if series:
                panels[EVENT_TITLES[event]] = series
        if panels:
            plots.grouped_bars(
                panels,
                folder / OFFLINE_PLOT,
                title=f"Full-ranking HR@{k} and NDCG@{k} ({report.split}, mean ± std over seeds)",
            )
            drawn[OFFLINE_PLOT] = f"HR@{k} and NDCG@{k} per model, clicks and purchases"
    if online:
        keys = [k for s in online for k in s.stats]
        metric = report.online_plot_metric if report.online_plot_metric in keys else keys[0] if keys else None
        if metric is not None:
            bars = {s.model: s.stats[metric] for s in online if metric in s.stats}
            plots.grouped_bars({f"online {metric}": {metric: bars}}, folder / ONLINE_PLOT)
            drawn[ONLINE_PLOT] = f"online {metric} per model"
    if any(losses for points in report.curves.values() for _, losses in points):
        plots.loss_curves(report.curves, folder / CURVES_PLOT)
        drawn[CURVES_PLOT] = "training losses per model"
    return drawn


def write_report(run_dir: Path, report: RunReport) -> Path:
    """Write ``run_dir/report.md`` and ``run_dir/plots/*.png``; returns the path of ``report.md``.

    Rows are validated before anything is written; each file is replaced atomically, plots before the
    markdown that links them.
    """
    run_dir = Path(run_dir)
    offline = summarize(report.results, "results")
    online = summarize(report.online, "online")
    for model, points in report.curves.items():
        for i, point in enumerate(points):
            if len(point) != 2 or not isinstance(point[1], Mapping):
                raise ValueError(f"curves[{model!r}][{i}] must be (step, {{loss: value}}), got {point!r}")
    plots = _draw_plots(report, offline, online, run_dir / PLOTS_DIR)
    path = atomic.write_text(render_markdown(report, offline, online, plots), run_dir / REPORT_FILE)
    log.info("wrote %s with %d plots", path, len(plots))
    return path
