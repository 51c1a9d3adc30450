"""Label transitions with the LE on a Ray Data actor pool: ``python -m learec.platform.jobs.label``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def label(
    cfg: Any,
    le_ckpt: Path,
    input_path: Path,
    output: Path,
    address: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    force: bool = False,
) -> Any:
    """Label ``input_path`` into ``output``; ``force`` relabels a version folder started on another input.

    Ray starts inside :func:`label_transitions`, after the input, checkpoint and vocabulary checks, and
    only when some part is left to label.
    """
    from learec.platform.jobs.ray_runtime import init_ray
    from learec.platform.labeling.pipeline import label_transitions

    return label_transitions(
        le_ckpt,
        input_path,
        output,
        cfg.labeling,
        progress=(lambda done, total: progress("labeling", done, total)) if progress else None,
        restart=force,
        start_ray=lambda: init_ray(num_cpus=cfg.num_cpus, address=address or cfg.ray_address),
    )


def main(argv: list[str] | None = None) -> None:
    from learec.platform.jobs.job_args import job_parser, parse_job_args, progress_log, user_errors
    from learec.platform.jobs.output_paths import resolve_output

    parser = job_parser("Label transitions with the LE (Ray Data, resumable).")
    parser.add_argument("--le", type=Path, required=True, help="LE checkpoint folder")
    parser.add_argument("--input", type=Path, required=True, help="transitions Parquet file or folder")
    parser.add_argument("--output", type=Path, required=True, help="output folder")
    parser.add_argument("--force", action="store_true", help="relabel a folder started on another input")
    with user_errors(parser):
        args, cfg = parse_job_args(parser, argv)
        output = resolve_output(args.output, "--output")
        report = label(cfg, args.le, args.input, output, force=args.force, progress=progress_log(log))
    log.info("labeled %s rows into %s", report.rows_labeled, report.output_dir)


if __name__ == "__main__":
    main()
