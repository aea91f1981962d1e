"""Small pure helpers for building ESC/POS bytes: text checks, raster images, QR images."""

from __future__ import annotations

import unicodedata

import qrcode
from escpos.image import EscposImage
from PIL import Image

__all__ = ["clean_text", "printable_in_gb18030", "raster_command", "qr_image"]

GS = b"\x1d"
#: Rows per ``GS v 0`` block, so a tall image never overflows a printer's buffer.
FRAGMENT_ROWS = 512


def clean_text(text: str) -> str:
    """Replace control characters (except newline) by spaces so text cannot inject commands."""
    text = text.replace("\r\n", "\n")
    return "".join(
        " " if unicodedata.category(char) == "Cc" and char != "\n" else char for char in text
    )


def printable_in_gb18030(text: str) -> bool:
    """Tell whether a Chinese-font printer can print every character (ASCII or a 2-byte GBK code).

    GB18030 can encode all of Unicode, but characters that need its 4-byte
    form (Tibetan, most emoji) are not in a printer's font.
    """
    try:
        return all(len(char.encode("gb18030")) <= 2 for char in text)
    except UnicodeEncodeError:
        return False


def _int_low_high(value: int) -> bytes:
    """Encode a number as two little-endian bytes, as ESC/POS wants."""
    return bytes((value & 0xFF, value >> 8 & 0xFF))


def raster_command(image: Image.Image, *, magnify: int = 1) -> bytes:
    """Encode an image as ``GS v 0`` raster blocks (black pixels print).

    ``magnify=2`` has the printer print each dot 2 × 2 (mode 3, quadruple): the same size on
    paper from a quarter of the bytes.
    """
    if magnify not in (1, 2):
        raise ValueError(f"magnify must be 1 or 2, not {magnify!r}")
    mode = b"\x03" if magnify == 2 else b"\x00"
    out = []
    for top in range(0, image.height, FRAGMENT_ROWS):
        part = EscposImage(image.crop((0, top, image.width, min(top + FRAGMENT_ROWS, image.height))))
        header = GS + b"v0" + mode + _int_low_high(part.width_bytes) + _int_low_high(part.height)
        out.append(header + part.to_raster_format())
    return b"".join(out)


def qr_image(data: str, *, size: int = 6, max_px: int = 576) -> Image.Image:
    """Render a QR code with modules ``size`` dots wide, shrunk if it would not fit ``max_px``."""
    code = qrcode.QRCode(box_size=size, border=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    modules = code.modules_count + 2
    code.box_size = max(1, min(size, max_px // modules))
    return code.make_image().get_image().convert("1")
