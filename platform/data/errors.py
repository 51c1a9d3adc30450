"""The one error every data loader raises for bad input: where it is (file, line, column) and what to do.

A loader that meets a malformed file raises :class:`DataFormatError` naming the file, the 1-based physical
line, the column (its header name, or its 1-based position for header-less files and byte offsets) and
what it expected, so a user can open the file at that spot. It subclasses ``ValueError``, so callers
that catch bad user input generally also catch it.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_HINT = (
    "Fix the file or check the loader options (format, file names, separator, column names: "
    "`learec data formats` lists them, --data-options or data.options sets them)."
)


SHOWN_CHARS = 60  # of a bad value in a message: enough to recognise it, never a whole oversized field


def shown(value: object) -> str:
    """``repr(value)``, cut to :data:`SHOWN_CHARS` characters with its full length noted."""
    text = repr(value)
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}... ({len(text)} characters)"


class DataFormatError(ValueError):
    """A malformed input file.

    ``str()`` reads ``ratings.csv:17 column 'rating': expected a number, got 'x'. Fix the file or ...``.
    ``line`` is the 1-based physical line in the file (``None`` when the problem is not on one line, for
    example a missing file or a Parquet column); ``column`` is a column name, or a 1-based index (a field
    position, or a byte offset for encoding errors, which the message then says).
    """

    def __init__(
        self,
        path: str | Path,
        message: str,
        *,
        line: int | None = None,
        column: str | int | None = None,
        hint: str = DEFAULT_HINT,
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        where = str(self.path)
        if self.line is not None:
            where += f":{self.line}"
        if isinstance(self.column, str):
            where += f" column {self.column!r}"
        elif self.column is not None:
            where += f" column {self.column}"
        text = f"{where}: {self.message}"
        if self.hint:
            text += f". {self.hint}"
        return text

    def __reduce__(self):  # keep the fields when pickled across Ray workers
        return (_rebuild, (str(self.path), self.message, self.line, self.column, self.hint))


def _rebuild(
    path: str, message: str, line: int | None, column: str | int | None, hint: str
) -> DataFormatError:
    return DataFormatError(path, message, line=line, column=column, hint=hint)
