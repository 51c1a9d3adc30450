"""Turn any exception that reaches the CLI into one readable sentence and an exit status.

Bad input (``ValueError``, missing or unreadable files) exits 2 with its own message, which names the
file and says what to do. Errors raised inside Ray tasks and actors arrive wrapped: the message of the
original error is shown, not Ray's remote traceback. Anything else exits 1 with its type and message
and the hint that ``--debug`` shows the traceback.
"""

from __future__ import annotations

import errno

USER_ERRORS: tuple[type[BaseException], ...] = (ValueError, OSError, KeyError)
DEBUG_HINT = "rerun with --debug for the traceback"


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _unwrap(exc: BaseException) -> BaseException:
    """The user's error inside Ray's wrappers (``RayTaskError.cause``) or a bare re-raise chain."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        cause = getattr(exc, "cause", None)
        if isinstance(cause, BaseException):
            exc = cause
            continue
        break
    return exc


def _os_message(exc: OSError) -> str:
    if exc.filename is not None and exc.strerror:
        hint = {
            errno.ENOENT: "check the path",
            errno.EACCES: "check its permissions",
            errno.EISDIR: "it is a folder; pass a file",
            errno.ENOTDIR: "a part of it is a file, not a folder",
            errno.ENOSPC: "free some disk space and rerun (finished stages are kept)",
        }.get(exc.errno or 0)
        text = f"{exc.filename}: {exc.strerror}"
        return f"{text}; {hint}" if hint else text
    return _first_line(str(exc)) or type(exc).__name__


def describe(exc: BaseException) -> tuple[str, int]:
    """(one-line message, exit status) for ``exc``."""
    inner = _unwrap(exc)
    if isinstance(inner, OSError):
        return _os_message(inner), 2
    if isinstance(inner, KeyError):
        return f"missing key {inner.args[0]!r}" if inner.args else "missing key", 2
    if isinstance(inner, USER_ERRORS):
        return _first_line(str(inner)) or type(inner).__name__, 2
    name = type(inner).__name__
    text = _first_line(str(inner))
    return (f"{name}: {text} ({DEBUG_HINT})" if text else f"{name} ({DEBUG_HINT})"), 1
