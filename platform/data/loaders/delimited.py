"""Read one delimited text file (CSV, TSV, ``::``-separated) into typed pyarrow columns, or fail precisely.

Every loader reads its text files through :func:`read_table`. The fast path is ``pyarrow.csv`` with
explicit column types. When it fails (or its result breaks a rule it cannot check itself, such as an
allowed value), a plain-Python pass over the same file finds the first bad line and raises a
:class:`~learec.platform.data.errors.DataFormatError` naming the file, the physical line and the
column. Multi-character separators (MovieLens 1M ``::``) use the Python pass only.

Checks, in order: the file exists and is not empty; every byte decodes in the declared encoding (for
UTF-8, a bad byte is reported by line and byte column); the header holds every required column; every
line has exactly as many fields as the header (too few means a truncated line); every value parses as
its column's kind; integers fit int64, numbers are finite, and values lie in the column's range
(``low``/``high``, e.g. timestamps within years 1-9999, ratings >= 0). A bad value is quoted in the
message, cut short when it is long.
"""

from __future__ import annotations

import codecs
import csv
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from learec.platform.data.errors import DataFormatError, shown
from learec.platform.data.loaders.common import floor_div

log = logging.getLogger(__name__)

Kind = Literal["int", "float", "str", "iso"]
_ARROW_TYPES: dict[str, pa.DataType] = {
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
    "iso": pa.timestamp("ns", tz="UTC"),
}
_EXPECTED = {
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "iso": "an ISO-8601 timestamp such as 2014-04-07T10:51:09.277Z",
}
_CHUNK = 1 << 24  # bytes per read when checking the encoding
UTF8_HINT = "The file must be UTF-8: re-encode it, e.g. `iconv -f latin1 -t utf-8 old > new`."
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_UNIX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z: later "times" are corrupt values
_TIME_SCALE = {"s": 1, "ms": 1000}


@dataclass(frozen=True)
class Col:
    """One column to read: its name (header name, or the name given to a header-less position) and kind.

    ``iso`` columns come back as int64 unix seconds (floored). ``nullable`` lets an empty field be null;
    otherwise an empty field is an error (strings excepted: an empty string is a value).
    ``choices`` restricts a string column to the listed values; ``low``/``high`` bound a number column.
    """

    name: str
    kind: Kind = "str"
    nullable: bool = False
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    range_text: str = ""  # what the range means, for messages ("a unix time in ms within years ...")

    def range_error(self, number: float) -> str:
        """Why ``number`` is out of this column's range."""
        if self.range_text:
            return f"expected {self.range_text}, got {number!r}"
        if self.high is None:
            return f"expected a value >= {self.low:g}, got {number!r}"
        if self.low is None:
            return f"expected a value <= {self.high:g}, got {number!r}"
        return f"expected a value in [{self.low:g}, {self.high:g}], got {number!r}"


def time_col(name: str, kind: Kind = "int", unit: str = "s") -> Col:
    """A unix-time column in ``unit`` (s or ms), bounded to years 1970 +- 8000 so seconds fit int64."""
    limit = MAX_UNIX_SECONDS * _TIME_SCALE[unit]
    return Col(name, kind, low=-limit, high=limit, range_text=f"a unix time in {unit} before the year 10000")


@dataclass(frozen=True)
class TableSpec:
    """How a file is laid out; ``names`` gives every field's name for header-less files."""

    columns: tuple[Col, ...]
    delimiter: str = ","
    header: bool = True
    names: tuple[str, ...] = ()
    quoting: bool = True
    encoding: str = "utf-8"


def read_table(path: Path, spec: TableSpec, *, engine: Literal["auto", "python"] = "auto") -> pa.Table:
    """The columns of ``spec`` from ``path``, typed (``iso`` as int64 unix seconds), in file order.

    ``engine="python"`` skips the pyarrow fast path; both give the same table (a test checks it).
    Raises :class:`DataFormatError` for a missing file, an empty file, an undecodable byte, a missing
    header column, a line with the wrong number of fields or a value of the wrong kind.
    """
    path = Path(path)
    check_bytes(path, spec.encoding)
    names = _field_names(path, spec)
    if engine == "auto" and len(spec.delimiter) == 1:
        try:
            table = _read_arrow(path, spec, names)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            log.debug("pyarrow could not read %s (%s); locating the problem line by line", path, exc)
        else:
            if _arrow_result_ok(table, spec):
                return _finish(table, spec)
    return _finish(_read_python(path, spec, names), spec)


def require_file(path: Path, hint: str = "Check the dataset folder and the file names.") -> None:
    """Raise if ``path`` is a folder or does not exist."""
    if path.is_dir():
        raise DataFormatError(
            path,
            "is a folder, expected a file",
            hint="Pass the file itself, or the folder its format expects.",
        )
    if not path.is_file():
        raise DataFormatError(path, "file not found", hint=hint)


def check_bytes(path: Path, encoding: str) -> None:
    """Raise if ``path`` is missing or empty, or (for UTF-8) holds a byte sequence that is not UTF-8."""
    require_file(path)
    if path.stat().st_size == 0:
        raise DataFormatError(
            path, "the file is empty (0 bytes)", line=1, hint="Check that the download or copy finished."
        )
    if codecs.lookup(encoding).name != "utf-8":
        return  # single-byte encodings such as latin-1 decode every byte
    decoder_base = 0  # absolute offset of the first byte in `carry + chunk`
    lines_before = 0  # newlines before decoder_base
    line_start = 0  # absolute offset where the current line starts
    carry = b""
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            data = carry + chunk
            last = not chunk
            try:
                data.decode("utf-8")
                good = len(data)
                carry = b""
            except UnicodeDecodeError as exc:
                if exc.reason == "unexpected end of data" and not last:
                    good = exc.start  # a character split across two reads
                    carry = data[good:]
                else:
                    head = data[: exc.start]
                    nl = head.rfind(b"\n")
                    line = lines_before + head.count(b"\n") + 1
                    start = decoder_base + nl + 1 if nl >= 0 else line_start
                    byte_col = decoder_base + exc.start - start + 1
                    raise DataFormatError(
                        path,
                        f"byte 0x{data[exc.start]:02x} at byte {byte_col} of the line is not valid UTF-8",
                        line=line,
                        column=byte_col,
                        hint=UTF8_HINT,
                    ) from None
            done = data[:good]
            nl = done.rfind(b"\n")
            if nl >= 0:
                line_start = decoder_base + nl + 1
            lines_before += done.count(b"\n")
            decoder_base += good
            if last:
                return


def _allow_fields_as_long_as(path: Path) -> None:
    """Let the csv module read fields up to the file's size: its 128 KiB default is not a format rule
    (pyarrow has none), and no field can be longer than the file that holds it."""
    size = path.stat().st_size + 1
    if csv.field_size_limit() < size:
        csv.field_size_limit(min(size, INT64_MAX // 2))


def _split_line(text: str, spec: TableSpec) -> list[str]:
    if spec.quoting:
        return next(csv.reader([text], delimiter=spec.delimiter, strict=True), [])
    return text.split(spec.delimiter)


def _field_names(path: Path, spec: TableSpec) -> list[str]:
    """All field names: the header's (checked against the required columns) or ``spec.names``."""
    if not spec.header:
        names = list(spec.names)
    else:
        _allow_fields_as_long_as(path)
        with path.open("r", encoding=spec.encoding, newline="") as fh:
            first = fh.readline().rstrip("\r\n").lstrip("\ufeff")
        try:
            names = [n.strip() for n in _split_line(first, spec)]
        except csv.Error as exc:
            raise DataFormatError(path, f"unreadable header line: {exc}", line=1) from None
    missing = [c.name for c in spec.columns if c.name not in names]
    if missing:
        got = ", ".join(repr(n) for n in names) if any(names) else "nothing"
        raise DataFormatError(
            path,
            f"missing column {missing[0]!r}; the header has {got} (separator {spec.delimiter!r})",
            line=1,
            column=missing[0],
        )
    return names


def _read_arrow(path: Path, spec: TableSpec, names: list[str]) -> pa.Table:
    wanted = [c.name for c in spec.columns]
    return pa_csv.read_csv(
        path,
        read_options=pa_csv.ReadOptions(
            column_names=names,
            skip_rows=1 if spec.header else 0,
            encoding="utf8" if codecs.lookup(spec.encoding).name == "utf-8" else spec.encoding,
        ),
        parse_options=pa_csv.ParseOptions(
            delimiter=spec.delimiter,
            quote_char='"' if spec.quoting else False,
            double_quote=spec.quoting,
            newlines_in_values=False,
            ignore_empty_lines=True,
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types={c.name: _ARROW_TYPES[c.kind] for c in spec.columns},
            include_columns=wanted,
            null_values=[""],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            timestamp_parsers=[pa_csv.ISO8601],
        ),
    )


def _arrow_result_ok(table: pa.Table, spec: TableSpec) -> bool:
    """Checks pyarrow cannot make while parsing: no rows, nulls in required columns, allowed values."""
    if table.num_rows == 0:
        return False
    for c in spec.columns:
        col = table[c.name]
        if not c.nullable and col.null_count:
            return False
        if c.choices and not pc.all(pc.is_in(col, value_set=pa.array(c.choices))).as_py():
            return False
        if c.kind == "float" and pc.any(pc.invert(pc.is_finite(col))).as_py():
            return False
        if c.low is not None or c.high is not None:
            lo_hi = pc.min_max(col)
            lo, hi = lo_hi["min"].as_py(), lo_hi["max"].as_py()
            if lo is not None and (
                (c.low is not None and lo < c.low) or (c.high is not None and hi > c.high)
            ):
                return False
    return True


def first_line_where(path: Path, spec: TableSpec, test: Callable[[dict[str, str]], bool]) -> int | None:
    """The physical line of the first data row whose fields (by name) pass ``test``, or None.

    For checks that need more than one column (a value that must be an integer only for some property),
    so the error can still name a line.
    """
    names = _field_names(path, spec)
    rows = _physical_rows(path, spec)
    if spec.header:
        next(rows, None)
    for lineno, fields in rows:
        if len(fields) == len(names) and test(dict(zip(names, fields, strict=True))):
            return lineno
    return None


def _physical_rows(path: Path, spec: TableSpec) -> Iterator[tuple[int, list[str]]]:
    """(first physical line number, fields) for every non-blank data line."""
    _allow_fields_as_long_as(path)
    with path.open("r", encoding=spec.encoding, newline="") as fh:
        if spec.quoting:
            reader = csv.reader(fh, delimiter=spec.delimiter, strict=True)
            start = 1
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise DataFormatError(path, f"unreadable CSV line ({exc})", line=start) from None
                if row:
                    yield start, row
                start = reader.line_num + 1
        else:
            for lineno, raw in enumerate(fh, 1):
                text = raw.rstrip("\r\n")
                if text:
                    yield lineno, text.split(spec.delimiter)


def _parse(value: str, col: Col) -> int | float | str | None:
    """One field as the column's kind; raises ValueError with the reason."""
    if col.kind == "str":
        if col.choices and value not in col.choices:
            raise ValueError(f"expected one of {', '.join(col.choices)}, got {shown(value)}")
        return value
    stripped = value.strip()
    if not stripped:
        if col.nullable:
            return None
        raise ValueError(f"expected {_EXPECTED[col.kind]}, got an empty field")
    try:
        if col.kind == "int":
            number: int | float = int(stripped)
        elif col.kind == "float":
            number = float(stripped)
        else:
            return iso_seconds(stripped)
    except (ValueError, OverflowError):
        raise ValueError(f"expected {_EXPECTED[col.kind]}, got {shown(value)}") from None
    check_number(number, col)
    return number


def check_number(number: int | float, col: Col) -> None:
    """Raise ValueError when ``number`` is not finite, not an int64, or outside the column's range."""
    if isinstance(number, float) and number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"expected a finite number, got {number!r}")
    if isinstance(number, int) and not INT64_MIN <= number <= INT64_MAX:
        raise ValueError(f"{shown(number)} does not fit a 64-bit integer (|value| < 9.2e18)")
    if (col.low is not None and number < col.low) or (col.high is not None and number > col.high):
        raise ValueError(col.range_error(number))


def iso_seconds(text: str) -> int:
    """Unix seconds (floored) of an ISO-8601 time; no offset means UTC, as pyarrow reads it."""
    stamp = datetime.fromisoformat(text.strip())
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return int(stamp.timestamp() // 1)


def _read_python(path: Path, spec: TableSpec, names: list[str]) -> pa.Table:
    index = {c.name: names.index(c.name) for c in spec.columns}
    values: dict[str, list] = {c.name: [] for c in spec.columns}
    n = len(names)
    rows = _physical_rows(path, spec)
    if spec.header:
        next(rows, None)
    seen = False
    for lineno, fields in rows:
        seen = True
        if len(fields) != n:
            if len(fields) < n:
                missing = names[len(fields)]
                msg = (
                    f"the line has {len(fields)} fields, expected {n} ({', '.join(names)}); "
                    f"{missing!r} is missing, so the line looks truncated"
                )
                raise DataFormatError(path, msg, line=lineno, column=missing)
            msg = f"the line has {len(fields)} fields, expected {n} ({', '.join(names)})"
            raise DataFormatError(path, msg, line=lineno, column=n + 1)
        for c in spec.columns:
            try:
                values[c.name].append(_parse(fields[index[c.name]], c))
            except ValueError as exc:
                raise DataFormatError(path, str(exc), line=lineno, column=c.name) from None
    if not seen:
        where = 2 if spec.header else 1
        raise DataFormatError(path, "no data rows" + (" after the header" if spec.header else ""), line=where)
    arrays = {}
    for c in spec.columns:
        kind = "int" if c.kind == "iso" else c.kind
        arrays[c.name] = pa.array(values[c.name], type=_ARROW_TYPES[kind])
    return pa.table(arrays)


def _finish(table: pa.Table, spec: TableSpec) -> pa.Table:
    """ISO timestamps (parsed by pyarrow) become int64 unix seconds, floored like the Python pass."""
    for c in spec.columns:
        col = table[c.name]
        if c.kind == "iso" and pa.types.is_timestamp(col.type):
            secs = floor_div(col.cast(pa.int64()), 1_000_000_000)
            table = table.set_column(table.schema.get_field_index(c.name), c.name, secs)
    return table
