"""A printer twin for ``--simulate`` and tests: real ESC/POS bytes, kept in memory."""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Callable

from escpos.printer import Dummy

from drivers import raster
from drivers.paper import render_png
from drivers.printer import EscposPrinter, PrinterState, profile_capabilities

__all__ = ["SimPrinter"]

log = logging.getLogger(__name__)


def _ignore(data: bytes) -> None:
    """Default ``when_printed``: do nothing."""


class SimPrinter(EscposPrinter):
    """Prints into python-escpos's ``Dummy`` and keeps the last slips as bytes.

    Paper can be pulled, loaded or marked low to exercise the station's
    handling of printer states; a slip attempted without paper raises
    :class:`~drivers.errors.PaperOut` and is not recorded.
    """

    def __init__(self, *, profile: str = "NT-80-V-UL", text_mode: str = "gb18030", keep: int = 50,
                 fonts: raster.FontSet | None = None) -> None:
        """Build a simulated printer with the capabilities of ``profile``."""
        caps = profile_capabilities(profile)
        super().__init__(
            Dummy(profile=profile),
            text_mode=text_mode,
            width_px=caps.width_px,
            cutter=caps.cutter,
            native_qr=caps.native_qr,
            fonts=fonts,
        )
        self.profile = profile
        self.when_printed: Callable[[bytes], None] = _ignore
        self._jobs: deque[bytes] = deque(maxlen=keep)
        self._jobs_lock = threading.Lock()
        self._paper = PrinterState.OK

    @property
    def jobs(self) -> list[bytes]:
        """Bytes of the finished slips, oldest first (at most ``keep``)."""
        with self._jobs_lock:
            return list(self._jobs)

    def paper_png(self, index: int = -1) -> bytes:
        """Draw one kept slip (the last by default) as PNG; IndexError if there is none."""
        return render_png(self.jobs[index], width_px=self.width_px)

    def pull_paper(self) -> None:
        """Simulate an empty roll: later slips raise PaperOut."""
        self._paper = PrinterState.PAPER_OUT

    def load_paper(self) -> None:
        """Simulate a fresh roll."""
        self._paper = PrinterState.OK

    def set_paper_low(self, low: bool = True) -> None:
        """Simulate the near-end sensor (slips still print)."""
        if self._paper is not PrinterState.PAPER_OUT:
            self._paper = PrinterState.PAPER_LOW if low else PrinterState.OK

    def state(self) -> PrinterState:
        """Report the simulated paper state."""
        return self._paper

    def _after_job(self, data: bytes) -> None:
        """Keep the slip, empty the Dummy, then tell ``when_printed``."""
        self.device.clear()
        with self._jobs_lock:
            self._jobs.append(data)
        try:
            self.when_printed(data)
        except Exception:  # a listener's bug must not look like a failed print
            log.exception("when_printed callback failed")
