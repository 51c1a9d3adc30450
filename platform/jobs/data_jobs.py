"""Data jobs: generate the synthetic shop, load a dataset and prepare it, export to RecBole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from learec.platform.common import atomic, outputs


def load_raw(cfg: Any) -> Any:
    """The run's logs as ``RawLogs``: the synthetic shop, or a loader format reading ``data.path``."""
    if cfg.data.source == "shop":
        from learec.platform.sim.shop import SyntheticShop

        return SyntheticShop(cfg.shop).generate().to_raw()
    import dataclasses

    from learec.platform.data.loaders.registry import loader_spec

    options = cfg.data.loader_options()
    if getattr(options, "items_path", None):  # paths in options are read against the current folder too
        options = dataclasses.replace(options, items_path=str(outputs.resolve_path(options.items_path)))
    return loader_spec(cfg.data.source).load(outputs.resolve_path(cfg.data.path), options)


def prepare_data(
    cfg: Any, out: Path, progress: Callable[[str, int, int], None] | None = None, force: bool = False
) -> Any:
    """Load and prepare the run's data into ``out``; ``force`` replaces a prepared data folder there."""
    from learec.platform.data.prepare import prepare

    out = outputs.claim_output(out, "prepared-data", replace=force)
    raw = load_raw(cfg)

    def step(message: str) -> None:
        if progress is not None:
            progress(message, 0, 0)

    return prepare(raw, cfg.prep, out, progress=step)


SHOP_FILES = ("events", "items", "sessions")


def generate_shop(shop_config: Any, out: Path, force: bool = False) -> list[Path]:
    """Write the shop's logs as ``out/{events,items,sessions}.parquet``, all at once."""
    import pyarrow.parquet as pq

    from learec.platform.sim.shop import SyntheticShop

    out = outputs.claim_output(out, "shop-logs", replace=force)
    logs = SyntheticShop(shop_config).generate()
    with atomic.atomic_path(out, kind="shop-logs") as tmp:
        tmp.mkdir()
        for name in SHOP_FILES:
            pq.write_table(getattr(logs, name), tmp / f"{name}.parquet")
    return [out / f"{name}.parquet" for name in SHOP_FILES]


def export_recbole(
    data_dir: Path, out: Path, name: str, split: str, force: bool = False
) -> tuple[Path, Path]:
    """Prepared data as RecBole atomic files in ``out``; ``force`` replaces an earlier export there."""
    import pyarrow as pa

    from learec.platform.data.prepare import load_prepared
    from learec.platform.data.recbole_export import export_recbole as export

    splits = ("train", "val", "test") if split == "all" else (split,)
    for s in splits:
        if s not in ("train", "val", "test"):
            raise ValueError(f"split must be train, val, test or all, got {split!r}")
    out = outputs.claim_output(out, "recbole", replace=force)
    prepared = load_prepared(outputs.resolve_path(data_dir))
    events = pa.concat_tables([prepared.events(s) for s in splits])
    with atomic.atomic_path(out, kind="recbole") as tmp:
        paths = export(events, prepared.items(), tmp, name)
    return tuple(out / p.name for p in paths)  # type: ignore[return-value]
