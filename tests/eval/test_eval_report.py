"""report.md and PNG plots: tables, bold best values, valid images, atomic writes."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from learec.platform.eval.protocol import aggregate_seeds, format_mean_std
from learec.platform.eval.report import PLOTS_DIR, REPORT_FILE, RunReport, summarize, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _metrics(hr10: float, purchases: float = 0.1) -> dict[str, float]:
    out = {"n/click": 40.0, "n/purchase": 8.0}
    for k, scale in ((5, 0.5), (10, 1.0)):
        out[f"hr@{k}/click"] = hr10 * scale
        out[f"ndcg@{k}/click"] = hr10 * scale / 2
        out[f"hr@{k}/purchase"] = purchases * scale
        out[f"ndcg@{k}/purchase"] = purchases * scale / 2
    return out


def _full_report() -> RunReport:
    return RunReport(
        title="tiny run",
        intro="A test run.",
        config={"seed": 0, "train": {"algo": "sqn", "lr": 0.001}},
        data_stats={"n_items": 12},
        results=[
            {"model": "Most popular", "seed": 0, "metrics": _metrics(0.10)},
            {"model": "SQN", "seed": 0, "metrics": _metrics(0.30, 0.2)},
            {"model": "SQN", "seed": 1, "metrics": _metrics(0.34, 0.4)},
        ],
        curves={"SQN s0": [(i, {"ce": 1.0 / (i + 1), "td": 0.5}) for i in range(5)]},
        online=[
            {"model": "Most popular", "seed": 0, "metrics": {"purchase_rate": 0.1}},
            {"model": "SQN", "seed": 0, "metrics": {"purchase_rate": 0.2}},
        ],
        sections={"LE quality": "held-out pairwise accuracy 0.8"},
    )


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(".") or p.name.endswith(".tmp")]


def test_write_report_tables_plots_and_no_temp_files(tmp_path: Path) -> None:
    path = write_report(tmp_path, _full_report())
    assert path == tmp_path / REPORT_FILE
    text = path.read_text(encoding="utf-8")
    for heading in (
        "# tiny run",
        "## Offline evaluation",
        "### Clicks (40 events)",
        "### Purchases (8 events)",
        "## Online evaluation",
        "## Training curves",
        "## LE quality",
        "## Data",
        "## Run configuration",
    ):
        assert heading in text
    assert "| model | seeds | HR@5 | NDCG@5 | HR@10 | NDCG@10 |" in text
    assert "`train.lr`" in text  # nested config flattened
    hr10, std = aggregate_seeds([_metrics(0.30, 0.2), _metrics(0.34, 0.4)])["hr@10/click"]
    assert f"**{format_mean_std(hr10, std)}**" in text  # SQN is best, shown as mean ± std, bold
    assert "| Most popular | 1 | 0.0500 | 0.0250 | 0.1000 |" in text  # one seed: mean alone, not bold
    links = re.findall(r"\]\((plots/[^)]+\.png)\)", text)
    assert len(links) == 3
    for link in links:
        data = (tmp_path / link).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 1000
    assert sorted(p.name for p in (tmp_path / PLOTS_DIR).iterdir()) == sorted(Path(li).name for li in links)
    assert _leftovers(tmp_path) == []


def test_rewrite_replaces_report(tmp_path: Path) -> None:
    write_report(tmp_path, _full_report())
    write_report(tmp_path, RunReport(title="second", sections={"note": "only text"}))
    text = (tmp_path / REPORT_FILE).read_text(encoding="utf-8")
    assert text.startswith("# second") and "Offline evaluation" not in text and "only text" in text
    assert _leftovers(tmp_path) == []


def test_single_model_is_not_bolded_and_pipes_are_escaped(tmp_path: Path) -> None:
    report = RunReport(title="one", results=[{"model": "a|b", "seed": 3, "metrics": _metrics(0.2)}])
    text = write_report(tmp_path, report).read_text(encoding="utf-8")
    assert "**" not in text.split("## Offline evaluation", 1)[1].split("\n", 3)[3]
    assert "| a\\|b | 1 |" in text


def test_lower_is_better_online_metrics_bold_the_minimum(tmp_path: Path) -> None:
    rows = [{"model": m, "seed": 0, "metrics": {"latency_ms": v}} for m, v in (("fast", 1.0), ("slow", 9.0))]
    report = RunReport(
        title="t", online=rows, online_plot_metric="latency_ms", online_lower_is_better=("latency_ms",)
    )
    text = write_report(tmp_path, report).read_text(encoding="utf-8")
    assert "| fast | 1 | **1.0000** |" in text and "| slow | 1 | 9.0000 |" in text


def test_bad_rows_fail_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"results\[0\] must be"):
        write_report(tmp_path, RunReport(title="t", results=[{"model": "x", "metrics": {}}]))
    with pytest.raises(ValueError, match="seed rows repeated"):
        summarize([{"model": "x", "seed": 0, "metrics": {"a": 1.0}}] * 2)
    with pytest.raises(ValueError, match="model 'x'.*other metric keys"):
        summarize(
            [{"model": "x", "seed": 0, "metrics": {"a": 1.0}}, {"model": "x", "seed": 1, "metrics": {}}]
        )
    with pytest.raises(ValueError, match="step"):
        write_report(tmp_path, RunReport(title="t", curves={"m": [(0, 1.0)]}))
    assert list(tmp_path.iterdir()) == []
    for bad in ({"title": " "}, {"title": "t", "plot_k": 0}, {"title": "t", "digits": -1}):
        with pytest.raises(ValueError, match="report"):
            RunReport(**bad)
    report = RunReport(title="t")
    report.add_section("A", "x")
    with pytest.raises(ValueError, match="added twice"):
        report.add_section("A", "y")


def test_summaries_keep_order_and_nan_std_for_one_seed() -> None:
    rows = _full_report().results
    summaries = summarize(rows)
    assert [s.model for s in summaries] == ["Most popular", "SQN"]
    assert summaries[1].seeds == (0, 1)
    assert math.isnan(summaries[0].stats["hr@10/click"][1])


def test_new_item_tables_and_beyond_accuracy(tmp_path: Path) -> None:
    def with_new(hr10: float) -> dict[str, float]:
        out = _metrics(hr10)
        out |= {"n/new_click": 30.0, "n/new_purchase": 0.0, "coverage@10": hr10, "novelty@10": 5.0 + hr10}
        out |= {"hr@10/new_click": hr10 / 2, "ndcg@10/new_click": hr10 / 4}
        out |= {"hr@10/new_purchase": math.nan, "ndcg@10/new_purchase": math.nan}
        return out

    report = RunReport(
        title="new items",
        results=[
            {"model": "Most popular", "seed": 0, "metrics": with_new(0.1)},
            {"model": "SQN", "seed": 0, "metrics": with_new(0.3)},
        ],
    )
    text = write_report(tmp_path, report).read_text()
    assert "### Clicks on new items (30 events)" in text
    assert "### Purchases of new items\n\nNone in this split" in text
    beyond = text.split("### Beyond accuracy", 1)[1]
    assert "| Coverage@10 | Novelty@10 |" in beyond and "**0.3000**" in beyond and "**5.3000**" in beyond
