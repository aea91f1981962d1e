"""An RDM6300 card reader for tests: the far end of a pty, the way a USB-serial RDM6300 looks.

The test writes frames into `master`; station.toml (or a SerialCardReader)
names `path` as the reader's `device`. A UID counts only after two identical
frames (a card held on the reader repeats its frame), so `tap` writes two.
"""

from __future__ import annotations

import os
import tty

from drivers.card_frames import rdm6300_frame


def held(uid: str) -> bytes:
    """What a card on the reader sends: its frame, repeated (two are enough to count)."""
    return rdm6300_frame(uid) * 2


class Pty:
    """A pseudo-terminal pair: the test writes to ``master``, the reader opens ``path``."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def tap(self, uid: str) -> None:
        """A card held on the reader long enough to count."""
        self.write(held(uid))

    def close(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
