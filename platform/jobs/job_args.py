"""Shared command-line shape of the plain job modules (``python -m learec.platform.jobs.<name>``).

Every job takes ``--config run.yaml`` and dotted ``key=value`` overrides (``le.user_fraction=0.2``), the
same keys as the YAML file, so ``ray job submit -- python -m ...`` needs no CLI install.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any


def job_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--config", type=Path, default=None, help="YAML run config")
    parser.add_argument("overrides", nargs="*", help="dotted overrides such as train.algo=sqn")
    return parser


def parse_job_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> tuple[Any, Any]:
    """(parsed args, RunConfig) with logging set up for a job log."""
    from learec.platform.jobs.config import RunConfig
    from learec.platform.jobs.config_file import build_config
    from learec.platform.jobs.ray_runtime import apply_default_env

    args = parser.parse_args(argv)
    bad = [o for o in args.overrides if "=" not in o]
    if bad:
        parser.error(f"overrides must look like key=value, got {bad[0]!r}")
    apply_default_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    overrides = dict(o.split("=", 1) for o in args.overrides)
    return args, build_config(RunConfig, args.config, overrides)


@contextlib.contextmanager
def user_errors(parser: argparse.ArgumentParser) -> Iterator[None]:
    """Bad input (a ``ValueError`` from config or path checks) ends the job with one sentence, exit 2."""
    try:
        yield
    except ValueError as err:
        parser.exit(2, f"{parser.prog}: error: {err}\n")


def progress_log(logger: logging.Logger) -> Any:
    """Progress of long stages as throttled log lines (a job log has no terminal for bars)."""
    from learec.platform.jobs.progress import ProgressLog

    return ProgressLog(logger.info)
