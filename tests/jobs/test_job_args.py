"""The plain job modules take --config and key=value overrides like the YAML file."""

from __future__ import annotations

import pytest

from learec.platform.jobs.job_args import job_parser, parse_job_args


def test_overrides_reach_the_run_config(tmp_path) -> None:
    cfg_file = tmp_path / "run.yaml"
    cfg_file.write_text("train:\n  algo: snqn\n")
    args, cfg = parse_job_args(job_parser("t"), ["--config", str(cfg_file), "le.user_fraction=0.3"])
    assert cfg.train.algo == "snqn" and cfg.le.user_fraction == 0.3
    assert args.config == cfg_file


def test_malformed_override_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_job_args(job_parser("t"), ["le.user_fraction"])
    assert exc.value.code == 2
    assert "key=value" in capsys.readouterr().err


def test_unknown_key_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown key le.nope"):
        parse_job_args(job_parser("t"), ["le.nope=1"])
