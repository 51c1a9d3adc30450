"""A durable copy of Tune's experiment state, so that a sweep killed at any moment resumes.

Tune writes its experiment state (trial list, controller) and its search algorithm's state to a driver
staging folder, then a background thread copies them file by file into the sweep folder, which is what
``Tuner.restore`` reads. A SIGKILL during that copy leaves a truncated file there, and the resume fails
(``EOFError: Ran out of input`` while loading the searcher's state). The search algorithms below also copy
each freshly written state file into ``<sweep>/tune-state/``, by temp-and-rename, right after Tune writes
it and before Tune starts its own copy; :func:`restore_state` puts those copies back before a resume. They
are never older than the sweep folder's (every save passes through the mirror first), and the trial
checkpoints they name are already stored (a trial stores its checkpoint before Tune hears of it).
"""

from __future__ import annotations

from pathlib import Path

from ray.tune.search.basic_variant import BasicVariantGenerator
from ray.tune.search.search_generator import SearchGenerator

from learec.platform.common import atomic

STATE_DIR = "tune-state"

# Where the running driver mirrors to; set by the sweep driver, never pickled with the search algorithm
# (Tune pickles it into the experiment, and the sweep folder may have moved by the time it is restored).
_mirror: list[Path] = []


def mirror_to(folder: Path) -> None:
    """Mirror this driver's Tune state files into ``folder`` from now on."""
    _mirror[:] = [folder]


def mirror_state(staging: Path, session: str, folder: Path) -> None:
    """Copy this session's state files (experiment, searcher) from Tune's staging folder into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for src in staging.iterdir():
        if src.is_file() and session in src.name and not src.name.startswith("."):
            with atomic.atomic_path(folder / src.name) as tmp:
                tmp.write_bytes(src.read_bytes())


def restore_state(folder: Path, experiment: Path) -> list[str]:
    """Put the mirrored state files back into the Tune experiment folder; the names it restored."""
    if not folder.is_dir():
        return []
    restored = []
    for src in sorted(folder.iterdir()):
        if src.is_file() and not src.name.startswith("."):
            with atomic.atomic_path(experiment / src.name) as tmp:
                tmp.write_bytes(src.read_bytes())
            restored.append(src.name)
    return restored


class _Mirrored:
    """Mixin: after the search algorithm saves its state, mirror the session's state files."""

    def save_to_dir(self, dirpath: str, session_str: str) -> None:
        super().save_to_dir(dirpath, session_str)  # type: ignore[misc]
        if _mirror:
            mirror_state(Path(dirpath), session_str, _mirror[0])


class MirroredVariantGenerator(_Mirrored, BasicVariantGenerator):
    """Tune's random/grid variant generator, with its state mirrored."""


class MirroredSearchGenerator(_Mirrored, SearchGenerator):
    """A Tune ``Searcher`` (Optuna) driven by Tune's search generator, with its state mirrored."""
