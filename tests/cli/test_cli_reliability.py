"""What a careless or hostile command line must not do: delete folders, print tracebacks, misread values."""

from __future__ import annotations

from pathlib import Path

from support import learec

from learec.platform.common import outputs


def _one_error_line(out) -> str:
    lines = [line for line in out.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert "Traceback" not in out.stderr
    return lines[0]


def test_output_options_refuse_a_folder_learec_did_not_write(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("mine")
    commands = [
        ("le", "train", "--data", str(tmp_path / "nodata"), "--out", str(project)),
        ("data", "prepare", "--out", str(project), "--force"),
        ("sim", "generate", "--out", str(project), "--force"),
        ("data", "export-recbole", "--data", str(tmp_path / "nodata"), "--out", str(project)),
        ("train", "--data", str(tmp_path / "nodata"), "--out", str(project)),
        ("run", "--runs-dir", str(tmp_path), "--name", "project"),
    ]
    for command in commands:
        out = learec(*command)
        assert out.returncode == 2, (command, out.stderr)
        assert "not written by learec" in _one_error_line(out), command
    assert sorted(p.name for p in project.iterdir()) == ["notes.txt"]


def test_replacing_a_learec_output_needs_force_and_relative_paths_work(tmp_path: Path) -> None:
    args = ("sim", "generate", "--out", "logs", "--shop-n-sessions", "50", "--shop-n-items", "40")
    first = learec(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert outputs.kind_of(tmp_path / "logs") == "shop-logs"
    again = learec(*args, cwd=tmp_path)
    assert again.returncode == 2
    assert "pass --force to replace it" in _one_error_line(again)
    forced = learec(*args, "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    # a learec output of another kind is not replaced, even with --force
    other = learec("data", "prepare", "--out", "logs", "--force", cwd=tmp_path)
    assert other.returncode == 2 and "not a prepared data folder" in _one_error_line(other)


def test_values_in_error_messages_are_printed_literally(tmp_path: Path) -> None:
    out = learec("run", "--runs-dir", str(tmp_path), "--experiment-algos", "[bold]x[/bold]")
    assert out.returncode == 2
    assert "[bold]x[/bold]" in _one_error_line(out)
    broken = learec("run", "--runs-dir", str(tmp_path), "--experiment-algos", "[/]")  # a markup error
    assert broken.returncode == 2 and "[/]" in _one_error_line(broken)


def test_bad_config_files_are_one_line_naming_the_file(tmp_path: Path) -> None:
    cases = {
        "dup.yaml": (b"le:\n  lora_r: 4\n  lora_r: 8\n", "dup.yaml:3: duplicate key 'lora_r'"),
        "latin1.yaml": (b"name: caf\xe9\n", "latin1.yaml:1: not UTF-8"),
        "bomb.yaml": (
            b"a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
            + b"".join(
                f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n".encode()
                for p, n in zip("abcde", "bcdef", strict=True)
            ),
            "anchors and aliases expand",
        ),
        "huge_state.yaml": (
            b"prep:\n  state_len: 1000000000\n",
            "state_len must be in [1, 1000], got 1000000000",
        ),
    }
    for name, (content, expected) in cases.items():
        (tmp_path / name).write_bytes(content)
        out = learec("run", "--config", str(tmp_path / name), "--runs-dir", str(tmp_path))
        assert out.returncode == 2, name
        assert expected in _one_error_line(out), name
    folder = learec("run", "--config", str(tmp_path), "--runs-dir", str(tmp_path))
    assert "is a folder" in _one_error_line(folder)


def test_bad_port_is_refused_before_ray_starts(tmp_path: Path) -> None:
    out = learec("serve", "--policy", str(tmp_path), "--port", "70000")
    assert out.returncode == 2
    assert "port" in out.stderr and "65535" in out.stderr and "Traceback" not in out.stderr


def test_report_needs_a_run_folder(tmp_path: Path) -> None:
    out = learec("report", str(tmp_path))
    assert out.returncode == 2 and "not a learec run folder" in _one_error_line(out)
