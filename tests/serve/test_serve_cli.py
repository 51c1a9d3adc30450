"""`learec serve` as a user runs it: every option in --help, bad options one sentence before Ray starts."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO_ROOT

from learec.serve.options import ServeConfig


def learec(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "learec.platform.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=300,
    )


def test_help_lists_every_deployment_option() -> None:
    out = learec("serve", "--help")
    assert out.returncode == 0
    for f in dataclasses.fields(ServeConfig):
        assert "--" + f.name.replace("_", "-") in out.stdout, f.name
    assert "--api-key-file" in out.stdout and "ps" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--port", "0"), "port must be in [1, 65535], got 0"),
        (("--max-replicas", "0"), "max_replicas"),
        (("--throughput-mode", "turbo"), "throughput_mode must be one of"),
        (("--api-key-file", "/nonexistent/key"), "cannot read the API key file"),
    ],
)
def test_bad_options_are_one_sentence(policy_dir: Path, args: tuple[str, ...], message: str) -> None:
    out = learec("serve", "--policy", str(policy_dir), *args)
    assert out.returncode == 2, out.stderr
    lines = [line for line in out.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], out.stderr
    assert "Traceback" not in out.stderr


def test_a_folder_that_is_no_policy_is_refused_before_ray_starts(tmp_path: Path) -> None:
    out = learec("serve", "--policy", str(tmp_path))
    assert out.returncode == 2
    assert "not an exported policy" in out.stderr and "Traceback" not in out.stderr
