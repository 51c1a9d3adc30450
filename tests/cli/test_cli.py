"""The learec command line, run as a user runs it (a subprocess): help, errors, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO_ROOT, shared_data


def learec(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "learec.platform.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO_ROOT,
        env=env,
        timeout=300,
    )


def test_help_lists_commands_and_documents_options() -> None:
    out = learec("--help")
    assert out.returncode == 0, out.stderr
    for command in ("run", "data", "sim", "le", "models", "label", "train", "eval", "report"):
        assert command in out.stdout
    run_help = learec("run", "--help")
    assert run_help.returncode == 0, run_help.stderr
    # Options come from the config dataclasses, with their help text and defaults.
    for flag in ("--le-user-fraction", "--prep-split", "--train-params-gamma", "--experiment-algos"):
        assert flag in run_help.stdout
    assert "discount" in run_help.stdout and "(default: 0.5)" in run_help.stdout


def test_bad_option_value_is_one_readable_line(tmp_path: Path) -> None:
    out = learec("run", "--runs-dir", str(tmp_path), "--train-params-gamma", "1.5")
    assert out.returncode == 2
    lines = [line for line in out.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert "gamma must be in [0, 1), got 1.5" in lines[0]
    assert "Traceback" not in out.stderr


def test_bad_config_file_names_file_and_line(tmp_path: Path) -> None:
    cfg = tmp_path / "run.yaml"
    cfg.write_text("name: t\nle:\n  user_fraction: 0.1\n  lora_rank_typo: 4\n")
    out = learec("run", "--config", str(cfg), "--runs-dir", str(tmp_path))
    assert out.returncode == 2
    assert f"{cfg}:4" in out.stderr and "lora_rank_typo" in out.stderr


def test_train_on_a_partly_labeled_folder_stops_with_one_sentence(tmp_path: Path) -> None:
    version = tmp_path / "labels" / "0123456789abcdef"
    version.mkdir(parents=True)
    plan = {"input": "train.parquet", "rows_per_part": 2, "parts": [["t", 0, 2], ["t", 2, 4]]}
    (version / "_plan.json").write_text(json.dumps(plan))
    out = learec("train", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "m"),
                 "--labels", str(tmp_path / "labels"), "--train-params-le-reward", "shape")  # fmt: skip
    assert out.returncode != 0
    text = " ".join(out.stderr.split())  # one message (the console may wrap it)
    assert text.count("error:") == 1 and "Traceback" not in text, out.stderr
    assert f"{version} is only partly labeled (0 of 2 parts)" in text
    assert "learec label" in text and not (tmp_path / "m").exists()


def test_prepare_real_otto_sample(tmp_path: Path) -> None:
    otto = shared_data("otto-sample")
    out = learec(
        "data",
        "prepare",
        "--data-source",
        "otto",
        "--data-path",
        str(otto),
        "--prep-min-item-count",
        "1",
        "--out",
        str(tmp_path / "otto"),
    )
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "otto" / "transitions" / "train.parquet").is_file()


def test_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    out = learec(
        "data",
        "prepare",
        "--data-source",
        "movielens",
        "--data-path",
        str(tmp_path / "nope"),
        "--out",
        str(tmp_path / "out"),
    )
    assert out.returncode == 2
    assert "nope" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", [("data", "prepare"), ("le", "train"), ("train",), ("label",), ("eval",)])
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    out = learec(*command, "--help")
    assert out.returncode == 0, out.stderr
    assert "Usage" in out.stdout


def test_stage_commands_list_only_options_they_read() -> None:
    """`learec train` has no --seed/--name/--runs-dir (only `run` reads them; train has --train-seed)."""
    run_help = learec("run", "--help").stdout
    assert all(f in run_help for f in ("--seed", "--runs-dir", "--num-cpus"))
    train_help = learec("train", "--help")
    assert train_help.returncode == 0, train_help.stderr
    for flag in ("--train-seed", "--num-cpus", "--ray-address", "--eval-ks"):
        assert flag in train_help.stdout
    for flag in ("--seed ", "--name ", "--runs-dir "):
        assert flag not in train_help.stdout
    eval_help = learec("eval", "--help").stdout
    assert "--eval-ks" in eval_help and "--train-seed" not in eval_help
    prepare_help = learec("data", "prepare", "--help").stdout
    assert "--prep-seed" in prepare_help and "--seed " not in prepare_help


def test_cli_start_up_does_not_import_torch_or_ray() -> None:
    """`learec --help` and config validation stay fast: torch and Ray load only in the commands that run."""
    code = "import sys, learec.platform.cli.main; print(sorted({'torch', 'ray'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
