"""Loader options (columns, separator, file names...) are settable from the command line and from YAML
as ``data.options``, checked against the format's options before any work starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import learec

from learec.platform.jobs.config import RunConfig
from learec.platform.jobs.config_file import ConfigError, build_config
from learec.platform.jobs.data_jobs import load_raw

LOG = "visitor;when;sku;what\nu1;1;a;view\nu1;2;b;buy\nu2;3;a;view\n"
OPTIONS = {
    "delimiter": ";",
    "session_col": "visitor",
    "ts_col": "when",
    "item_col": "sku",
    "event_col": "what",
    "purchase_values": ["buy", "order"],
}


def test_yaml_mapping_reaches_the_loader(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text(LOG)
    config = tmp_path / "run.yaml"
    config.write_text(
        "data:\n  source: generic\n  path: log.csv\n  options:\n"
        + "".join(f"    {k}: {v!r}\n" if not isinstance(v, list) else f"    {k}: [{', '.join(v)}]\n"
                  for k, v in OPTIONS.items())
    )  # fmt: skip
    cfg = build_config(RunConfig, config)
    assert cfg.data.loader_options().purchase_values == ("buy", "order")
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)  # data.path is relative: read against the current folder
    try:
        raw = load_raw(cfg)
    finally:
        os.chdir(cwd)
    assert raw.events["event"].to_pylist().count("purchase") == 1
    assert raw.events.num_rows == 3


def test_cli_flow_mapping_is_the_same_as_yaml() -> None:
    text = (
        "{delimiter: ';', session_col: visitor, ts_col: when, item_col: sku, purchase_values: [buy, order]}"
    )
    cfg = build_config(
        RunConfig, None, {"data.source": "generic", "data.path": "x.csv", "data.options": text}
    )
    options = cfg.data.loader_options()
    assert (options.delimiter, options.item_col, options.purchase_values) == (";", "sku", ("buy", "order"))


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"data.options": "{delimter: ';'}"}, "unknown key data.options.delimter; known keys: delimiter"),
        ({"data.options": "{delimiter: ';;'}"}, "delimiter must be one character"),
        ({"data.options": "[1, 2]"}, "data.options must be a mapping"),
        ({"data.options": "{a: {b: 1}}"}, "data.options.a must be a value or a list of values"),
        ({"data.options": "{delimiter: [}"}, "data.options must be a mapping"),
        ({"data.source": "shop", "data.options": "{x: 1}"}, "data.options apply to a loader format"),
    ],
)
def test_bad_options_fail_when_the_config_is_built(overrides: dict, says: str) -> None:
    base = {"data.source": "generic", "data.path": "x.csv"}
    with pytest.raises(ConfigError, match=None) as info:
        build_config(RunConfig, None, {**base, **overrides})
    assert says in str(info.value)


def test_options_in_help_and_formats_and_as_one_error_line(tmp_path: Path) -> None:
    help_text = learec("data", "prepare", "--help").stdout
    assert "--data-options" in help_text
    formats = learec("data", "formats").stderr
    assert "delimiter = ','" in formats and "--data-options" in formats
    (tmp_path / "log.csv").write_text(LOG)
    out = learec(
        "data", "prepare", "--data-source", "generic", "--data-path", "log.csv", "--out", "prepared",
        "--data-options", "{delimiter: ';', session_col: visitor, ts_col: when, item_col: sku, ts_col: x}",
        cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "data.options: duplicate key 'ts_col'" in out.stderr  # YAML alone would keep the last
    out = learec(
        "data", "prepare", "--data-source", "generic", "--data-path", "log.csv", "--out", "prepared",
        "--data-options", "{delimiter: ';', session_col: visitor, ts_col: x, item_col: sku}",
        cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "log.csv:1 column 'x': missing column 'x'" in out.stderr
    assert not (tmp_path / "prepared").exists()
