"""One slip under construction: lines, QR codes, feeds and cuts, sent in a single write."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any, Callable

from escpos.capabilities import get_profile
from escpos.constants import PAPER_FULL_CUT, QR_ECLEVEL_M
from escpos.printer import Dummy

from drivers import raster
from drivers.printer_util import (
    clean_text,
    printable_in_gb18030,
    qr_image,
    raster_command,
)

__all__ = ["Capabilities", "PrintJob", "TEXT_MODES", "profile_capabilities", "text_as_raster"]

TEXT_MODES = ("gb18030", "raster")

FS_CHINESE_ON = b"\x1c&"
FS_CHINESE_OFF = b"\x1c."
ALIGNS = ("left", "center", "right")
#: Dots per character of the printer's font A, used to fill a line with dashes.
FONT_A_DOTS = 12
#: Blank dots fed after each line printed as an image (its own blank rows are not sent).
LINE_GAP_DOTS = 6
ESC_FEED_DOTS = b"\x1bJ"       # ESC J n: feed n dots


def text_as_raster(s: str, *, width_px: int, scale: int = 1, bold: bool = False,
                   fonts: raster.FontSet | None = None) -> bytes:
    """The bytes that print ``s`` as images, line by line, cropped to the ink (alignment set before)."""
    out = []
    for image, magnify in raster.compact_lines(s, width_px=width_px, scale=scale, bold=bold, fonts=fonts):
        if image is None:          # an empty line: blank paper, no dots sent
            out.append(ESC_FEED_DOTS + bytes([min(255, magnify)]))
            continue
        out.append(raster_command(image, magnify=magnify) + ESC_FEED_DOTS + bytes([LINE_GAP_DOTS]))
    return b"".join(out)


@dataclass(frozen=True)
class Capabilities:
    """The parts of a python-escpos profile that change what we send."""

    width_px: int
    cutter: bool
    native_qr: bool


def profile_capabilities(profile: str | None) -> Capabilities:
    """Read paper width, cutter and native QR support from a python-escpos profile."""
    try:
        data = get_profile(profile).profile_data
    except KeyError:
        raise ValueError(f"unknown printer profile {profile!r} (see python-escpos capabilities)") from None
    pixels = data.get("media", {}).get("width", {}).get("pixels")
    features = data.get("features", {})
    return Capabilities(
        width_px=pixels if isinstance(pixels, int) else 576,
        cutter=bool(features.get("paperFullCut") or features.get("paperPartCut")),
        native_qr=bool(features.get("qrCode")),
    )


class PrintJob:
    """Collects one slip's commands and hands them to ``send`` all at once when the block ends."""

    def __init__(self, caps: Capabilities, send: Callable[[bytes], None], *, profile: Any = None,
                 text_mode: str = "gb18030", fonts: raster.FontSet | None = None) -> None:
        """Start an empty slip (it begins with ``ESC @``) for a printer with ``caps``.

        ``profile`` is the python-escpos profile object the commands are built for; text the
        printer's font cannot show is rendered with ``fonts``.
        """
        if text_mode not in TEXT_MODES:
            raise ValueError(f"text_mode must be one of {TEXT_MODES}, not {text_mode!r}")
        self._caps, self._send, self._text_mode = caps, send, text_mode
        self._fonts = fonts or raster.find_fonts()
        self._buf = Dummy()
        if profile is not None:
            self._buf.profile = profile
        self._buf.hw("INIT")

    def __enter__(self) -> PrintJob:
        """Return the job to add lines to."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Send the whole slip, or nothing if the block raised."""
        if exc_type is None:
            self._send(self.data)

    @property
    def data(self) -> bytes:
        """The bytes built so far."""
        return self._buf.output

    @staticmethod
    def _check(align: str, scale: int) -> None:
        """Refuse an alignment or size the printer does not have."""
        if align not in ALIGNS:
            raise ValueError(f"align must be one of {ALIGNS}, not {align!r}")
        if not 1 <= scale <= 8:
            raise ValueError(f"scale must be 1-8, not {scale!r}")

    def _style(self, align: str, scale: int, bold: bool) -> None:
        """Emit alignment, size and emphasis so each line stands on its own."""
        self._buf.set(align=align, bold=bold, custom_size=True, width=scale, height=scale)

    def text(self, s: str, *, align: str = "left", scale: int = 1, bold: bool = False) -> PrintJob:
        """Print one line or paragraph and end it with a newline."""
        s = clean_text(s)
        self._check(align, scale)
        if self._text_mode == "raster" or not printable_in_gb18030(s):
            return self._raster(s, align, scale, bold)
        self._style(align, scale, bold)
        if s.isascii():
            body = s.encode("ascii")
        else:
            body = FS_CHINESE_ON + s.encode("gb18030") + FS_CHINESE_OFF
        self._buf._raw(body + b"\n")
        return self

    def _raster(self, s: str, align: str, scale: int, bold: bool) -> PrintJob:
        """Print text as images rendered with our fonts, each line cropped to its ink and placed by ESC a."""
        self._style(align, 1, False)  # the printer places each image; its size is in the image
        self._buf._raw(text_as_raster(s, width_px=self._caps.width_px, scale=scale, bold=bold, fonts=self._fonts))
        return self

    def qr(self, data: str, *, size: int = 6) -> PrintJob:
        """Print a centred QR code carrying ``data``."""
        if not data:
            raise ValueError("QR payload is empty")
        self._buf.set(align="center")
        if self._caps.native_qr:
            self._buf.qr(data, size=size, native=True, ec=QR_ECLEVEL_M)
            self._buf._raw(b"\n")
        else:
            self._buf._raw(raster_command(qr_image(data, size=size, max_px=self._caps.width_px)))
        self._buf.set(align="left")
        return self

    def feed(self, lines: int = 1) -> PrintJob:
        """Advance the paper by ``lines`` blank lines (0-255)."""
        if not 0 <= lines <= 255:
            raise ValueError(f"lines must be 0-255, not {lines!r}")
        if lines:
            self._buf.print_and_feed(lines)
        return self

    def cut(self) -> PrintJob:
        """Feed past the cutter and cut; without a cutter only feed so it can be torn off."""
        if self._caps.cutter:
            self._buf.print_and_feed(6)
            self._buf._raw(PAPER_FULL_CUT)
        else:
            self._buf.print_and_feed(4)
        return self

    def rule(self) -> PrintJob:
        """Print a dashed line across the full paper width."""
        self._style("left", 1, False)
        self._buf._raw(b"-" * (self._caps.width_px // FONT_A_DOTS) + b"\n")
        return self
