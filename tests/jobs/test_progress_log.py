"""Progress lines for logs without a terminal: a start line, throttled updates with ETA, a final line."""

from __future__ import annotations

from learec.platform.jobs.progress import ProgressLog, clock
from learec.platform.jobs.train import loss_detail


def test_lines_are_throttled_and_carry_detail_elapsed_and_eta() -> None:
    lines: list[str] = []
    t = [0.0]
    log = ProgressLog(lines.append, interval_s=5.0, now=lambda: t[0])
    for step in range(1, 101):
        t[0] = step * 0.5  # 2 steps a second: a line about every 10 steps
        log("train sqn", step, 100, f"loss {1.0 / step:.3f}")
    assert lines[0] == "  train sqn ..."
    assert 9 <= len(lines) <= 12  # 50 s at one line per 5 s, plus start and end
    assert "11/100 (11%)" in lines[1] and "loss 0.091" in lines[1]
    assert "elapsed 0:00:05" in lines[1] and "ETA 0:00:40" in lines[1]
    assert lines[-1].startswith("  train sqn: 100/100 (100%)") and lines[-1].endswith("done")
    log("train sqn", 100, 100)
    assert len(lines) == len(set(lines))  # nothing after the final line


def test_unknown_totals_and_clock() -> None:
    lines: list[str] = []
    log = ProgressLog(lines.append, interval_s=0.0)
    log("data", 3, 0)
    assert lines[-1].startswith("  data: 3, elapsed")
    assert clock(3725) == "1:02:05"


def test_loss_detail_names_the_terms() -> None:
    assert loss_detail({"loss/total": 1.5, "loss/ce": 1.25, "loss/td": 0.25, "iter": 3}) == (
        "loss 1.5000 (ce 1.25, td 0.25)"
    )
    assert loss_detail({}) == ""
