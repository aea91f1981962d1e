"""Read back ESC/POS bytes as what a person would see on the paper.

:func:`decode` understands the commands our printer driver and python-escpos
emit; anything else becomes an :class:`Unknown` item rather than an error.
:func:`render` draws the decoded slip as an image for the simulator panel.
Tests of the station use :func:`text_of` and :func:`qr_payloads`.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from drivers.paper_decoder import (
    QR,
    Control,
    Cut,
    Feed,
    Image,
    Item,
    Text,
    Unknown,
    decode_items,
)

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

__all__ = [
    "Text", "QR", "Image", "Cut", "Feed", "Control", "Unknown", "Item",
    "decode", "text_of", "qr_payloads", "render", "render_png",
]

#: Dots per blank line (ESC/POS default line spacing is about 1/6 inch).
LINE_DOTS = 30
_INVERT = bytes(255 - i for i in range(256))


def decode(data: bytes) -> list[Item]:
    """Turn ESC/POS bytes into the printed items, in order."""
    return decode_items(data)


def text_of(data: bytes) -> str:
    """Return all printed text, one line per printed line."""
    return "\n".join(item.text for item in decode(data) if isinstance(item, Text))


def qr_payloads(data: bytes) -> list[str]:
    """Return the payload of every printer-rendered QR code, in order."""
    return [item.data for item in decode(data) if isinstance(item, QR)]


def _placed(block: PILImage, width_px: int, align: str) -> PILImage:
    """Put a block on a white strip ``width_px`` wide at the given alignment."""
    from PIL import Image as PILImages

    strip = PILImages.new("L", (width_px, block.height), 255)
    free = max(0, width_px - block.width)
    strip.paste(block.convert("L"), ({"left": 0, "center": free // 2, "right": free}.get(align, 0), 0))
    return strip


def _dashes(width_px: int, *, height: int = 24, dash: int = 8, thick: int = 2) -> PILImage:
    """Draw a dashed line across the strip (a cut mark, or a rule of hyphens)."""
    from PIL import Image as PILImages
    from PIL import ImageDraw

    strip = PILImages.new("L", (width_px, height), 255)
    draw = ImageDraw.Draw(strip)
    for x in range(0, width_px, dash * 2):
        draw.line((x, height // 2, x + dash, height // 2), fill=0, width=thick)
    return strip


def _block(item: Item, width_px: int) -> PILImage | None:
    """Draw one item as a full-width strip, or None if it leaves no mark."""
    from PIL import Image as PILImages

    from drivers import raster
    from drivers.printer_util import qr_image

    if isinstance(item, Text) and set(item.text) == {"-"} and len(item.text) * 12 >= width_px:
        return _dashes(width_px, height=LINE_DOTS * item.scale, dash=6, thick=1)
    if isinstance(item, Text):
        return raster.render_text(item.text, width_px=width_px, scale=item.scale, align=item.align, bold=item.bold)
    if isinstance(item, QR):
        return _placed(qr_image(item.data, size=item.size, max_px=width_px), width_px, item.align)
    if isinstance(item, Image):
        bitmap = item.bitmap.translate(_INVERT)  # ESC/POS: 1 = black; Pillow "1": 1 = white
        picture = PILImages.frombytes("1", (item.width, item.height), bitmap)
        wide, tall = item.magnify
        if (wide, tall) != (1, 1):      # the printer prints each dot wide × tall
            picture = picture.resize((item.width * wide, item.height * tall), PILImages.Resampling.NEAREST)
        return _placed(picture.crop((0, 0, min(picture.width, width_px), picture.height)), width_px, item.align)
    if isinstance(item, Feed):
        return PILImages.new("L", (width_px, LINE_DOTS * item.lines + item.dots), 255)
    if isinstance(item, Cut):
        return _dashes(width_px)
    return None


def render(data: bytes, *, width_px: int = 576) -> PILImage:
    """Draw the slip as paper: a white strip ``width_px`` wide with black print."""
    from PIL import Image as PILImages

    blocks = [block for item in decode(data) if (block := _block(item, width_px)) is not None]
    margin = 16
    page = PILImages.new("L", (width_px, margin * 2 + sum(b.height for b in blocks)), 255)
    top = margin
    for block in blocks:
        page.paste(block.convert("L"), (0, top))
        top += block.height
    return page


def render_png(data: bytes, width_px: int = 576) -> bytes:
    """Draw the slip and return it as PNG bytes (for the simulator panel)."""
    buffer = io.BytesIO()
    render(data, width_px=width_px).save(buffer, format="PNG")
    return buffer.getvalue()
