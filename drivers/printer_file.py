"""The ``file`` printer: raw ESC/POS bytes appended to a file another program can tail."""

from __future__ import annotations

import os

from escpos.escpos import Escpos

__all__ = ["AppendFile"]


class AppendFile(Escpos):
    """Append each write to ``path`` and fsync it; never truncate what is there.

    python-escpos's own ``File`` printer opens its path with ``"wb"`` and so
    wipes earlier jobs; this one opens, appends, flushes, fsyncs and closes on
    every write, so an outside process can follow the file and a crash loses
    at most the write in progress.
    """

    def __init__(self, path: str | os.PathLike[str], *args: object, **kwargs: object) -> None:
        """Remember the path; nothing is opened until the first write."""
        Escpos.__init__(self, *args, **kwargs)
        self.path = os.fspath(path)

    def open(self) -> None:
        """Nothing to open: every write opens the file itself."""

    def close(self) -> None:
        """Nothing to close: every write closes the file itself."""

    def _raw(self, msg: bytes) -> None:
        """Append ``msg`` to the file and make it durable before returning."""
        with open(self.path, "ab") as handle:
            handle.write(msg)
            handle.flush()
            os.fsync(handle.fileno())
