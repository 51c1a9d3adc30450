"""The package layout the design fixes: namespace mapping, no shadowing of the standard library."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from support import REPO_ROOT


def test_platform_folder_does_not_shadow_stdlib() -> None:
    assert not (REPO_ROOT / "platform" / "__init__.py").exists()
    code = "import platform; assert 'python' in platform.__file__.lower(), platform.__file__"
    for cwd in (REPO_ROOT, REPO_ROOT / "platform"):
        out = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr


def test_package_list_is_complete() -> None:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    mapping = config["tool"]["setuptools"]["package-dir"]
    found = set()
    for name, folder in mapping.items():
        for init in (REPO_ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO_ROOT / folder)
            found.add(".".join([name, *rel.parts]) if rel.parts else name)
    assert found == listed, f"missing: {sorted(found - listed)}; stale: {sorted(listed - found)}"


def test_learec_imports_from_a_foreign_directory(tmp_path) -> None:
    code = "import learec.platform.data.schema as s, platform; print(s.STATE_LEN, platform.python_version())"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_platform_is_stdlib_in_a_ray_job_working_dir(tmp_path) -> None:
    """`ray job submit --working-dir .` unpacks the repo, runs there and puts it on PYTHONPATH."""
    import os
    import shutil

    files = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
    for rel in files.split():
        if rel.startswith(("platform/", "pyproject.toml")):
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO_ROOT / rel, tmp_path / rel)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    code = "import platform; assert platform.__file__.endswith('platform.py'), platform.__file__"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
