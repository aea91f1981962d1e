"""Byte-level ESC/POS decoder behind :mod:`drivers.paper`: items and the state machine.

It understands exactly what our printer driver and python-escpos emit, tracks
alignment, size, emphasis and Chinese mode as a printer would, and turns
unrecognised bytes into :class:`Unknown` items instead of raising.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Text", "QR", "Image", "Cut", "Feed", "Control", "Unknown", "Item", "decode_items"]

ESC, GS, FS, DLE, LF = 0x1B, 0x1D, 0x1C, 0x10, 0x0A
_PREFIX_NAMES = {ESC: "ESC", GS: "GS", FS: "FS", DLE: "DLE"}
_ALIGNS = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}
_QR_ERRORS = {48: "L", 49: "M", 50: "Q", 51: "H"}
#: Commands with a fixed number of parameter bytes after (prefix, command byte).
_FIXED = {
    ESC: {b"@": 0, b"a": 1, b"E": 1, b"!": 1, b"-": 1, b"M": 1, b"t": 1, b"d": 1, b"J": 1,
          b"2": 0, b"3": 1, b"G": 1, b"{": 1, b"V": 1, b"R": 1, b"p": 3, b"=": 1, b"B": 2,
          b"i": 0, b"m": 0, b" ": 1, b"%": 1, b"c": 2, b"K": 1, b"?": 2, b"$": 2, b"\\": 2,
          b"e": 1, b"U": 1, b"r": 1, b"S": 0, b"L": 0, b"T": 1},
    GS: {b"!": 1, b"B": 1, b"h": 1, b"w": 1, b"H": 1, b"f": 1, b"b": 1, b"L": 2, b"W": 2,
         b"a": 1, b"r": 1, b"I": 1, b"P": 2},
    FS: {b"&": 0, b".": 0, b"!": 1, b"-": 1, b"W": 1, b"C": 1, b"S": 2, b"p": 2},
    DLE: {b"\x04": 1, b"\x05": 1, b"\x14": 3},
}
_SINGLE_CONTROLS = {0x0D: "CR", 0x0C: "FF", 0x0B: "VT", 0x07: "BEL", 0x00: "NUL"}


@dataclass(frozen=True)
class Text:
    """One printed line of text and how it was styled."""

    text: str
    align: str = "left"
    scale: int = 1
    bold: bool = False


@dataclass(frozen=True)
class QR:
    """A QR code printed by the printer itself (``GS ( k``)."""

    data: str
    size: int = 3
    error: str = "L"
    align: str = "left"


@dataclass(frozen=True)
class Image:
    """A raster image; ``bitmap`` is row-major, 1 bit per dot, set bits print black."""

    width: int
    height: int
    bitmap: bytes
    align: str = "left"
    magnify: tuple[int, int] = (1, 1)   # GS v 0 modes: each dot printed (wide, tall)


@dataclass(frozen=True)
class Cut:
    """The paper was cut here."""


@dataclass(frozen=True)
class Feed:
    """Blank paper: ``lines`` empty lines, or ``dots`` (``ESC J``)."""

    lines: int = 1
    dots: int = 0


@dataclass(frozen=True)
class Control:
    """A known command with no visible effect here (init, code page, status query, ...)."""

    code: str
    params: bytes = b""


@dataclass(frozen=True)
class Unknown:
    """Bytes the decoder did not recognise."""

    data: bytes


Item = Text | QR | Image | Cut | Feed | Control | Unknown


class _Truncated(Exception):
    """A command runs past the end of the data."""


class _Decoder:
    """Walks the bytes once, tracking the printer's text modes like a printer would."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos, self.items = data, 0, []
        self.line: list[str] = []
        self.run, self.run_chinese = bytearray(), False
        self.qr_size, self.qr_error, self.qr_data = 3, "L", ""
        self.graphic: Image | None = None
        self._reset_modes()
        self.actions = {
            (ESC, b"@"): self._init, (ESC, b"a"): self._set_align, (ESC, b"E"): self._set_bold,
            (ESC, b"!"): self._set_mode, (GS, b"!"): self._set_size, (ESC, b"d"): self._feed,
            (ESC, b"J"): self._feed_dots,
            (FS, b"&"): lambda _: setattr(self, "chinese", True),
            (FS, b"."): lambda _: setattr(self, "chinese", False),
        }

    def _reset_modes(self) -> None:
        self.align, self.scale, self.bold, self.chinese = "left", 1, False, False
        self.line_style: tuple[str, int, bool] | None = None

    def run_all(self) -> list[Item]:
        """Decode everything; a truncated command at the end becomes Unknown."""
        while self.pos < len(self.data):
            byte = self.data[self.pos]
            if byte == LF:
                self.pos += 1
                self._end_line(blank_feeds=True)
            elif byte in _PREFIX_NAMES:
                start = self.pos
                try:
                    self._command()
                except _Truncated:
                    self._unknown(self.data[start:])
                    self.pos = len(self.data)
            elif byte >= 0x20 or byte == 0x09:
                self._text_byte(byte)
                self.pos += 1
            elif byte in _SINGLE_CONTROLS:
                self.items.append(Control(_SINGLE_CONTROLS[byte]))
                self.pos += 1
            else:
                self._unknown(bytes([byte]))
                self.pos += 1
        self._end_line(blank_feeds=False)
        return self.items

    def _unknown(self, raw: bytes) -> None:
        if self.items and isinstance(self.items[-1], Unknown):
            self.items[-1] = Unknown(self.items[-1].data + raw)
        else:
            self.items.append(Unknown(raw))

    def _text_byte(self, byte: int) -> None:
        if self.line_style is None:
            self.line_style = (self.align, self.scale, self.bold)
        if self.run and self.run_chinese != self.chinese:
            self._flush_run()
        self.run_chinese = self.chinese
        self.run.append(byte)

    def _flush_run(self) -> None:
        encoding = "gb18030" if self.run_chinese else "ascii"
        self.line.append(bytes(self.run).decode(encoding, errors="replace"))
        self.run.clear()

    def _end_line(self, *, blank_feeds: bool) -> None:
        self._flush_run()
        text = "".join(self.line)
        if text:
            align, scale, bold = self.line_style or (self.align, self.scale, self.bold)
            self.items.append(Text(text, align, scale, bold))
        elif blank_feeds:
            self.items.append(Feed(1))
        self.line, self.line_style = [], None

    def _take(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise _Truncated
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def _command(self) -> None:
        prefix, cmd = self._take(2)
        name = f"{_PREFIX_NAMES[prefix]} {chr(cmd) if 0x20 < cmd < 0x7F else f'0x{cmd:02X}'}"
        key = bytes([cmd])
        if key in _FIXED[prefix]:
            self._fixed(prefix, key, name, self._take(_FIXED[prefix][key]))
        elif prefix in (GS, FS) and key == b"(":
            fn = self._take(1)
            size = int.from_bytes(self._take(2), "little")
            self._function(prefix, fn, self._take(size), f"{name} {fn.decode('latin-1')}")
        elif prefix == GS and key == b"V":
            if self._take(1)[0] >= 65:  # "feed and cut" forms carry one more byte
                self._take(1)
            self._end_line(blank_feeds=False)
            self.items.append(Cut())
        elif prefix == GS and key == b"v":
            self._raster(self._take(6))
        else:
            self._variable(prefix, key, name)

    def _fixed(self, prefix: int, key: bytes, name: str, params: bytes) -> None:
        action = self.actions.get((prefix, key))
        if action is None:
            self.items.append(Control(name, params))
        else:
            action(params[0] if params else 0)

    def _init(self, _: int) -> None:
        self._end_line(blank_feeds=False)
        self._reset_modes()
        self.items.append(Control("ESC @"))

    def _set_align(self, value: int) -> None:
        self.align = _ALIGNS.get(value, self.align)

    def _set_bold(self, value: int) -> None:
        self.bold = bool(value & 1)

    def _set_mode(self, value: int) -> None:
        self.bold, self.scale = bool(value & 0x08), 2 if value & 0x30 else 1

    def _set_size(self, value: int) -> None:
        self.scale = max((value >> 4 & 7) + 1, (value & 7) + 1)

    def _feed(self, lines: int) -> None:
        self._end_line(blank_feeds=False)
        if lines:
            self.items.append(Feed(lines))

    def _feed_dots(self, dots: int) -> None:
        self._end_line(blank_feeds=False)
        if dots:
            self.items.append(Feed(0, dots))

    def _variable(self, prefix: int, key: bytes, name: str) -> None:
        start = self.pos
        if prefix == ESC and key == b"*":
            mode, count = self._take(1)[0], int.from_bytes(self._take(2), "little")
            self._take(count * (3 if mode >= 32 else 1))
        elif prefix == ESC and key == b"D" or prefix == GS and key == b"k" and self._peek() <= 6:
            end = self.data.find(b"\x00", self.pos + (1 if key == b"k" else 0))
            if end < 0:
                raise _Truncated
            self.pos = end + 1
        elif prefix == GS and key == b"k":
            self._take(1)
            self._take(self._take(1)[0])
        else:
            self._unknown(bytes([prefix]) + key)
            return
        self.items.append(Control(name, self.data[start : self.pos]))

    def _peek(self) -> int:
        if self.pos >= len(self.data):
            raise _Truncated
        return self.data[self.pos]

    def _raster(self, header: bytes) -> None:
        if header[0] != 0x30:  # "GS v 0" is the only GS v form
            self._unknown(bytes([GS]) + b"v" + header)
            return
        width_bytes = int.from_bytes(header[2:4], "little")
        height = int.from_bytes(header[4:6], "little")
        bitmap = self._take(width_bytes * height)
        self._end_line(blank_feeds=False)
        mode = header[1] & 3 if header[1] < 48 else (header[1] - 48) & 3
        self.items.append(Image(width_bytes * 8, height, bitmap, self.align, (1 + (mode & 1), 1 + (mode >> 1))))

    def _function(self, prefix: int, fn: bytes, body: bytes, name: str) -> None:
        if prefix == GS and fn == b"k" and body[:1] == b"1" and len(body) >= 2:
            self._qr(body[1], body[2:])
        elif prefix == GS and fn == b"L" and len(body) >= 2:
            self._graphics(body[1], body[2:])
        else:
            self.items.append(Control(name, body))

    def _qr(self, function: int, args: bytes) -> None:
        if function == 67 and args:
            self.qr_size = args[0]
        elif function == 69 and args:
            self.qr_error = _QR_ERRORS.get(args[0], self.qr_error)
        elif function == 80:
            self.qr_data = args[1:].decode("utf-8", errors="replace")
        elif function == 81:
            self._end_line(blank_feeds=False)
            self.items.append(QR(self.qr_data, self.qr_size, self.qr_error, self.align))
            return
        self.items.append(Control(f"GS ( k {function}", args))

    def _graphics(self, function: int, args: bytes) -> None:
        if function == 0x70 and len(args) >= 8:  # store: a bx by c xL xH yL yH data
            width = int.from_bytes(args[4:6], "little")
            height = int.from_bytes(args[6:8], "little")
            self.graphic = Image(width, height, bytes(args[8:]), self.align)
        elif function in (0x32, 0x02) and self.graphic is not None:
            self._end_line(blank_feeds=False)
            self.items.append(self.graphic)
            self.graphic = None
        else:
            self.items.append(Control(f"GS ( L {function}", args))


def decode_items(data: bytes) -> list[Item]:
    """Turn ESC/POS bytes into the printed items, in order."""
    return _Decoder(bytes(data)).run_all()
