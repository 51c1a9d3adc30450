"""Data jobs: generate the synthetic shop, load a dataset and prepare it, export to RecBole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from learec.platform.common import atomic


def load_raw(cfg: Any) -> Any:
    """The run's logs as ``RawLogs``: the synthetic shop, or a loader format reading ``data.path``."""
    if cfg.data.source == "shop":
        from learec.platform.sim.shop import SyntheticShop

        return SyntheticShop(cfg.shop).generate().to_raw()
    from learec.platform.data.loaders.registry import load_dataset

    return load_dataset(cfg.data.source, Path(cfg.data.path))


def prepare_data(cfg: Any, out: Path, progress: Callable[[str, int, int], None] | None = None) -> Any:
    from learec.platform.data.prepare import prepare

    raw = load_raw(cfg)

    def step(message: str) -> None:
        if progress is not None:
            progress(message, 0, 0)

    return prepare(raw, cfg.prep, Path(out), progress=step)


def generate_shop(shop_config: Any, out: Path) -> list[Path]:
    from learec.platform.sim.shop import SyntheticShop

    logs = SyntheticShop(shop_config).generate()
    out = Path(out)
    return [
        atomic.write_parquet(logs.events, out / "events.parquet"),
        atomic.write_parquet(logs.items, out / "items.parquet"),
        atomic.write_parquet(logs.sessions, out / "sessions.parquet"),
    ]


def export_recbole(data_dir: Path, out: Path, name: str, split: str) -> tuple[Path, Path]:
    import pyarrow as pa

    from learec.platform.data.prepare import load_prepared
    from learec.platform.data.recbole_export import export_recbole as export

    prepared = load_prepared(Path(data_dir))
    splits = ("train", "val", "test") if split == "all" else (split,)
    for s in splits:
        if s not in ("train", "val", "test"):
            raise ValueError(f"split must be train, val, test or all, got {split!r}")
    events = pa.concat_tables([prepared.events(s) for s in splits])
    return export(events, prepared.items(), Path(out), name)
