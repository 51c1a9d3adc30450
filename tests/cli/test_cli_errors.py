"""Any exception reaching the CLI becomes one sentence: user errors exit 2, others 1 with a --debug hint."""

from __future__ import annotations

import errno

from learec.platform.cli.errors import DEBUG_HINT, describe


class _RemoteError(RuntimeError):
    """Shaped like Ray's RayTaskError: the user's error is ``cause``, the message a remote traceback."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__("ray::MapWorker(Labeler).submit()\nTraceback (most recent call last):\n  ...")
        self.cause = cause


def test_user_errors_keep_their_first_line_and_exit_2() -> None:
    assert describe(ValueError("run.yaml:3: bad value\nmore")) == ("run.yaml:3: bad value", 2)
    assert describe(_RemoteError(ValueError("labels: item 40 unknown"))) == ("labels: item 40 unknown", 2)


def test_os_errors_name_the_file_and_say_what_to_do() -> None:
    message, status = describe(FileNotFoundError(errno.ENOENT, "No such file or directory", "/x/y.csv"))
    assert status == 2 and message == "/x/y.csv: No such file or directory; check the path"
    message, _ = describe(IsADirectoryError(errno.EISDIR, "Is a directory", "/data"))
    assert message.endswith("it is a folder; pass a file")


def test_unexpected_errors_name_their_type_and_the_debug_flag() -> None:
    message, status = describe(RuntimeError("actor died"))
    assert status == 1 and message == f"RuntimeError: actor died ({DEBUG_HINT})"
