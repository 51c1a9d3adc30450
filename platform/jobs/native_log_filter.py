"""Keep lines that Ray's C++ core writes to this process's stderr off the console (unless ``--debug``).

The driver's core worker logs straight to file descriptor 2, below Python, and some of its lines are
at ERROR level although they say nothing a user can act on (every restartable Ray Data actor gets
"has constructor arguments in the object store and max_restarts > 0"), so ``RAY_BACKEND_LOG_LEVEL``
cannot hide them. :func:`install` points fd 2 at a pipe and forwards every line except those in the
C++ log format (``[2026-01-01 10:00:00,123 E 123 456] core_worker.cc:2465: ...``) to the real
stderr. Python's own output (our messages, tracebacks) passes unchanged and in order, and so do the
core's error and fatal lines other than known notices: they may be the only word on why a job died.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import sys
import threading

# Debug, info and warning lines go; errors and fatal lines stay (they may explain why the process dies),
# except the known notices below that say nothing a user can act on.
NATIVE_LINE = re.compile(
    rb"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} "
    rb"(?:[DIW] \d+ \d+\] [\w./-]+\.(?:cc|h):\d+: |E \d+ \d+\] [\w./-]+\.(?:cc|h):\d+: .*(?:"
    rb"has constructor arguments in the object store and max_restarts > 0"
    rb"))"
)
_installed: dict[str, object] = {}


def install() -> bool:
    """Filter fd 2 from now on (once per process); False when already installed or impossible."""
    if _installed:
        return False
    try:
        sys.stderr.flush()
        real = os.dup(2)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
    except OSError:
        return False
    thread = threading.Thread(target=_forward, args=(read_end, real), name="native-stderr", daemon=True)
    thread.start()
    _installed.update(real=real, thread=thread)
    atexit.register(uninstall)
    return True


def _forward(read_end: int, real: int) -> None:
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        pending = b""
        while chunk := pipe.read(65536):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            out = b"".join(line + b"\n" for line in lines if not NATIVE_LINE.match(line))
            if out:
                os.write(real, out)
        if pending and not NATIVE_LINE.match(pending):
            os.write(real, pending)


def uninstall() -> None:
    """Give fd 2 back and forward what is still in the pipe (runs at exit)."""
    if not _installed:
        return
    with contextlib.suppress(OSError, ValueError):  # a closed stderr at exit
        sys.stderr.flush()
    real, thread = _installed["real"], _installed["thread"]
    os.dup2(real, 2)  # the pipe's last writer here is gone: the forwarder sees the end once Ray's is too
    thread.join(timeout=2.0)  # type: ignore[attr-defined]
    _installed.clear()
