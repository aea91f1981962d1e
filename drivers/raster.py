"""Render a line of text to a 1-bit image for printers that lack the glyphs.

Chinese and Latin use Noto Sans CJK SC, Tibetan uses Noto Serif Tibetan; each
line is split into runs by script so mixed lines draw with the right font.
Tibetan stacks only come out right with Pillow's RAQM layout engine, which is
used whenever Pillow has it.
"""

from __future__ import annotations

import functools
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, features

__all__ = ["FontSet", "find_fonts", "render_text", "compact_lines", "is_tibetan", "BASE_PX"]

#: Height in dots of one line at scale 1 (a printer's font A is 12x24 dots).
BASE_PX = 24
#: Tibetan is drawn a little tighter than Chinese (22 dots at scale 1): its stacks stay clear
#: (checked by eye at 20, 22 and 24 dots: 20 blurs ཀྱི and སྒུ), and its lines take fewer bytes.
TIBETAN_RATIO = 22 / 24

FONT_DIR_ENV = "VSTATION_FONT_DIR"
_CJK_NAMES = ("NotoSansSC-Regular-GB2312.otf", "NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf")
_TIBETAN_NAMES = ("NotoSerifTibetan-Medium.ttf", "NotoSerifTibetan-Regular.ttf", "NotoSansTibetan-Regular.ttf")
_DEBIAN_CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
_DEBIAN_TIBETAN = "/usr/share/fonts/truetype/noto/NotoSerifTibetan-Medium.ttf"
#: Face index of Simplified Chinese inside the Noto Sans CJK collection.
_CJK_TTC_INDEX = 2

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class FontSet:
    """Font files used for rendering; ``None`` means Pillow's built-in font."""

    cjk: str | None
    tibetan: str | None


def _first_existing(folder: str | None, names: tuple[str, ...], fallback: str) -> str | None:
    """Return the first font file found in ``folder``, else ``fallback`` if it exists."""
    candidates = [Path(folder) / name for name in names] if folder else []
    candidates.append(Path(fallback))
    for path in candidates:
        if path.is_file():
            return str(path)
    return None


def find_fonts(font_dir: str | None = None) -> FontSet:
    """Locate fonts in ``font_dir``, then ``$VSTATION_FONT_DIR``, then Debian's paths."""
    folder = font_dir or os.environ.get(FONT_DIR_ENV)
    return FontSet(
        cjk=_first_existing(folder, _CJK_NAMES, _DEBIAN_CJK),
        tibetan=_first_existing(folder, _TIBETAN_NAMES, _DEBIAN_TIBETAN),
    )


@functools.lru_cache(maxsize=32)
def _load(path: str | None, size: int) -> Font:
    """Load a font once per (path, size); fall back to Pillow's default font."""
    if path is None:
        return ImageFont.load_default(size=size)
    engine = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    index = _CJK_TTC_INDEX if path.lower().endswith(".ttc") else 0
    return ImageFont.truetype(path, size, index=index, layout_engine=engine)


def _size_for(path: str | None, fonts: FontSet, size: int) -> int:
    """The pixel size a run is drawn at: Tibetan a little tighter (TIBETAN_RATIO)."""
    return round(size * TIBETAN_RATIO) if path is not None and path == fonts.tibetan else size


def is_tibetan(char: str) -> bool:
    """Tell whether a character belongs to the Tibetan block U+0F00–U+0FFF."""
    return "\u0f00" <= char <= "\u0fff"


def _runs(line: str, fonts: FontSet, size: int) -> list[tuple[Font, str]]:
    """Split a line into (font, text) runs by script; spaces stay with the current run."""
    runs: list[tuple[Font, str]] = []
    current: str | None = None
    for char in line:
        path = fonts.tibetan if is_tibetan(char) else fonts.cjk
        if char == " " and runs:
            path = current
        if runs and path == current:
            runs[-1] = (runs[-1][0], runs[-1][1] + char)
        else:
            runs.append((_load(path, _size_for(path, fonts, size)), char))
            current = path
    return runs


def _width(line: str, fonts: FontSet, size: int) -> float:
    """Measure the advance width of a line in pixels."""
    return sum(font.getlength(text) for font, text in _runs(line, fonts, size))


def _line_metrics(text: str, fonts: FontSet, size: int) -> tuple[int, int]:
    """Return (ascent, line height) covering every font the text needs."""
    paths = {fonts.cjk} | ({fonts.tibetan} if any(is_tibetan(c) for c in text) else set())
    metrics = [_load(path, _size_for(path, fonts, size)).getmetrics() for path in paths]
    ascent = max(a for a, _ in metrics)
    descent = max(d for _, d in metrics)
    return ascent, ascent + descent


def _wrap(text: str, fonts: FontSet, size: int, width_px: int) -> list[str]:
    """Greedy-wrap text to ``width_px``: break after spaces or tsheg, never inside a stack."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if _width(paragraph, fonts, size) <= width_px:    # most lines fit: measure once, not per character
            lines.append(paragraph)
            continue
        line = ""
        for char in paragraph:
            candidate = line + char
            combining = unicodedata.category(char).startswith("M")
            if line and not combining and _width(candidate, fonts, size) > width_px:
                cut = max(line.rfind(" "), line.rfind("\u0f0b"))
                if cut > 0:
                    lines.append(line[: cut + 1].rstrip())
                    line = line[cut + 1 :] + char
                else:
                    lines.append(line)
                    line = char
            else:
                line = candidate
        lines.append(line)
    return lines


def render_text(
    text: str,
    *,
    width_px: int,
    scale: int = 1,
    align: str = "left",
    bold: bool = False,
    fonts: FontSet | None = None,
) -> Image.Image:
    """Draw text as a 1-bit image ``width_px`` wide (black on white), wrapped to fit."""
    if align not in ("left", "center", "right"):
        raise ValueError(f"align must be left, center or right, not {align!r}")
    fonts = fonts or find_fonts()
    size = BASE_PX * max(1, scale)
    lines = _wrap(text, fonts, size, width_px)
    ascent, line_h = _line_metrics(text, fonts, size)
    image = Image.new("L", (width_px, line_h * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        free = width_px - _width(line, fonts, size)
        x = {"left": 0.0, "center": free / 2, "right": free}[align]
        baseline = row * line_h + ascent
        for font, run in _runs(line, fonts, size):
            draw.text(
                (x, baseline), run, font=font, anchor="ls",
                fill=0, stroke_width=1 if bold else 0, stroke_fill=0,
            )
            x += font.getlength(run)
    return image.point(lambda v: 0 if v < 128 else 255).convert("1", dither=Image.Dither.NONE)


def _draw_line(line: str, fonts: FontSet, size: int, width_px: int, bold: bool) -> Image.Image:
    """One line drawn from the left edge of a strip as tall as the fonts' line, black on white (mode L)."""
    ascent, line_h = _line_metrics(line, fonts, size)
    image = Image.new("L", (width_px, line_h), 255)
    draw = ImageDraw.Draw(image)
    x = 0.0
    for font, run in _runs(line, fonts, size):
        draw.text((x, ascent), run, font=font, anchor="ls", fill=0, stroke_width=1 if bold else 0, stroke_fill=0)
        x += font.getlength(run)
    return image


def compact_lines(
    text: str,
    *,
    width_px: int,
    scale: int = 1,
    bold: bool = False,
    fonts: FontSet | None = None,
) -> list[tuple[Image.Image | None, int]]:
    """Text as few raster dots as print it at the size asked: one (image, magnification) per wrapped line.

    Each line is cropped to its ink, so no blank margin or empty row is sent (the printer's
    alignment, ``ESC a``, places it); text of scale 2 or more is drawn at half the size and
    magnified by the printer (``GS v 0`` quadruple mode), a quarter of the bytes. A line with no
    ink is ``(None, height)``: blank paper of that many dots.
    """
    fonts = fonts or find_fonts()
    magnify = 2 if scale >= 2 else 1
    size = BASE_PX * max(1, scale) // magnify
    out: list[tuple[Image.Image | None, int]] = []
    for line in _wrap(text, fonts, size, width_px // magnify):
        drawn = _draw_line(line, fonts, size, width_px // magnify, bold)
        box = drawn.point(lambda v: 255 if v < 128 else 0).getbbox()
        if box is None:
            out.append((None, drawn.height * magnify))
            continue
        ink = drawn.crop(box).point(lambda v: 0 if v < 128 else 255)
        out.append((ink.convert("1", dither=Image.Dither.NONE), magnify))
    return out
