"""Ray's C++ log lines on the driver's fd 2 stay off the console; everything else passes, in order."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = r"""
import os, sys
from learec.platform.jobs import native_log_filter
assert native_log_filter.install()
assert not native_log_filter.install()  # once per process
os.write(2, b"[2026-12-02 19:13:02,799 E 23038 23038] core_worker.cc:2465: Actor with class name: "
            b"'MapWorker(MapBatches(Labeler))' has constructor arguments in the object store and "
            b"max_restarts > 0.\n")
print("  labeling: 10/20 (50%)", file=sys.stderr, flush=True)
os.write(2, b"[2026-12-02 19:12:59,864 I 23038 23038] logging.cc:303: Set ray log level to 2\n")
os.write(2, b"[not a ray line] stays\n")
os.write(2, b"[2026-12-02 19:12:59,864 E 1 1] core_worker.cc:9: the node died\n")
print("error: the last line, unterminated", end="", file=sys.stderr)
"""


def test_native_lines_are_dropped_and_the_rest_kept_in_order() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stderr == (
        "  labeling: 10/20 (50%)\n[not a ray line] stays\n"
        "[2026-12-02 19:12:59,864 E 1 1] core_worker.cc:9: the node died\nerror: the last line, unterminated"
    )


def test_tracebacks_still_reach_stderr() -> None:
    script = (
        "from learec.platform.jobs import native_log_filter\nnative_log_filter.install()\nraise KeyError('x')"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "KeyError: 'x'" in out.stderr
