"""OTTO (Kaggle "OTTO – Multi-Objective Recommender System") JSON Lines -> RawLogs.

Format: one session per line, UTF-8, no header:
``{"session": int, "events": [{"aid": int, "ts": int, "type": "clicks" | "carts" | "orders"}, ...]}``;
``ts`` is unix time in milliseconds, events are in time order within a session.

Mapping: ``session_id`` = ``session``; ``ts`` = ``ts // 1000`` (unix seconds); ``raw_id`` = ``aid``;
``clicks`` -> ``click``, ``carts`` and ``orders`` -> ``purchase``. Every source event becomes one row;
nothing is merged or dropped, and ties keep file order. OTTO has no item text, so each item's title
and text are ``"item <aid>"``. Sessions are real sessions (``user_level=False``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from learec.platform.common.fields import opt
from learec.platform.data import schema
from learec.platform.data.errors import DataFormatError, shown
from learec.platform.data.loaders import common
from learec.platform.data.loaders.delimited import INT64_MAX, INT64_MIN, MAX_UNIX_SECONDS, check_bytes
from learec.platform.data.raw import RawLogs

log = logging.getLogger(__name__)

EVENT_MAP = {"clicks": schema.CLICK, "carts": schema.PURCHASE, "orders": schema.PURCHASE}
_SCHEMA = pa.schema(
    [
        pa.field("session", pa.int64()),
        pa.field(
            "events",
            pa.list_(
                pa.struct(
                    [pa.field("aid", pa.int64()), pa.field("ts", pa.int64()), pa.field("type", pa.string())]
                )
            ),
        ),
    ]
)


@dataclass(frozen=True)
class OttoOptions:
    file: str = opt("train.jsonl", "file to read when the path is a folder (train.jsonl or test.jsonl)")


def load_otto(path: Path, options: OttoOptions = OttoOptions()) -> RawLogs:
    """OTTO sessions as raw logs; see the module docstring for the mapping."""
    path = Path(path)
    if path.is_dir():
        path = path / options.file
    check_bytes(path, "utf-8")
    table = _read_arrow(path)
    if table is None:
        table = _read_python(path)
    event, _ = common.map_events(table["type"], EVENT_MAP)
    ts = common.floor_div(table["ts"], 1000)
    events = common.raw_events(table["session"], ts, table["aid"].cast(pa.string()), event)
    ids = pc.unique(events[schema.RAW_ID]).to_pylist()
    names = [f"item {i}" for i in ids]
    items = common.items_table(ids, names, names)
    log.info("otto %s: %d events, %d items", path, events.num_rows, items.num_rows)
    return RawLogs(events=events, items=items, user_level=False, source=f"otto:{path}")


def _read_arrow(path: Path) -> pa.Table | None:
    """Flat (session, aid, ts, type) columns via pyarrow.json, or None when the precise pass must look."""
    try:
        nested = pa_json.read_json(
            path,
            parse_options=pa_json.ParseOptions(explicit_schema=_SCHEMA, unexpected_field_behavior="ignore"),
        ).combine_chunks()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        log.debug("pyarrow could not read %s (%s); locating the problem line by line", path, exc)
        return None
    if nested.num_rows == 0 or nested["session"].null_count or nested["events"].null_count:
        return None
    lists = nested["events"].chunk(0)
    flat = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists)
    cols = {name: flat.field(name) for name in ("aid", "ts", "type")}
    if any(c.null_count for c in cols.values()) or len(flat) == 0:
        return None
    if not pc.all(pc.is_in(cols["type"], value_set=pa.array(list(EVENT_MAP)))).as_py():
        return None
    ts_range = pc.min_max(cols["ts"])
    if ts_range["min"].as_py() < -MAX_TS_MS or ts_range["max"].as_py() > MAX_TS_MS:
        return None
    session = pc.take(nested["session"], parents)
    return pa.table({"session": session, **cols})


MAX_TS_MS = MAX_UNIX_SECONDS * 1000


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and INT64_MIN <= value <= INT64_MAX


def _expected_int(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{shown(value)} does not fit a 64-bit integer (|value| < 9.2e18)"
    return f"expected an integer, got {shown(value)}"


def _read_python(path: Path) -> pa.Table:
    """The same columns, parsed line by line; raises DataFormatError at the first bad line."""
    out: dict[str, list] = {"session": [], "aid": [], "ts": [], "type": []}
    with path.open("r", encoding="utf-8", newline="") as fh:
        for lineno, raw in enumerate(fh, 1):
            text = raw.rstrip("\r\n")
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise DataFormatError(
                    path,
                    f"invalid JSON ({exc.msg}); the line may be truncated",
                    line=lineno,
                    column=exc.colno,
                ) from None
            except RecursionError:
                raise DataFormatError(
                    path, "JSON nested too deeply for an OTTO session (objects in a list)", line=lineno
                ) from None
            except ValueError:  # Python refuses integers of more than 4300 digits
                raise DataFormatError(
                    path, "a number with thousands of digits cannot be an id or a time", line=lineno
                ) from None
            if not isinstance(obj, dict):
                raise DataFormatError(path, f"expected a JSON object, got {type(obj).__name__}", line=lineno)
            for key in ("session", "events"):
                if key not in obj:
                    raise DataFormatError(path, f"missing key {key!r}", line=lineno, column=key)
            if not _is_int(obj["session"]):
                raise DataFormatError(path, _expected_int(obj["session"]), line=lineno, column="session")
            if not isinstance(obj["events"], list):
                raise DataFormatError(path, "expected a list of events", line=lineno, column="events")
            for i, ev in enumerate(obj["events"]):
                where = f"events[{i}]"
                if not isinstance(ev, dict):
                    raise DataFormatError(path, "expected an event object", line=lineno, column=where)
                for key in ("aid", "ts"):
                    if key not in ev:
                        raise DataFormatError(
                            path, f"missing key {key!r}", line=lineno, column=f"{where}.{key}"
                        )
                    if not _is_int(ev[key]):
                        raise DataFormatError(
                            path,
                            _expected_int(ev[key]),
                            line=lineno,
                            column=f"{where}.{key}",
                        )
                if ev.get("type") not in EVENT_MAP:
                    raise DataFormatError(
                        path,
                        f"expected one of {', '.join(EVENT_MAP)}, got {shown(ev.get('type'))}",
                        line=lineno,
                        column=f"{where}.type",
                    )
                if not -MAX_TS_MS <= ev["ts"] <= MAX_TS_MS:
                    raise DataFormatError(
                        path,
                        f"expected a unix time in ms before the year 10000, got {ev['ts']}",
                        line=lineno,
                        column=f"{where}.ts",
                    )
                out["session"].append(obj["session"])
                out["aid"].append(ev["aid"])
                out["ts"].append(ev["ts"])
                out["type"].append(ev["type"])
    if not out["session"]:
        raise DataFormatError(path, "no events in the file", line=1)
    types = {"session": pa.int64(), "aid": pa.int64(), "ts": pa.int64(), "type": pa.string()}
    return pa.table({k: pa.array(v, type=types[k]) for k, v in out.items()})
