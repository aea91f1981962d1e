"""Text rendered to 1-bit images for printers without the glyphs."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import ImageOps

from drivers.raster import FontSet, find_fonts, render_text

TIBETAN = "བཀྲ་ཤིས་བདེ་ལེགས།"


def black_columns(image) -> list[int]:
    pixels = image.load()
    return [x for x in range(image.width) if any(pixels[x, y] == 0 for y in range(image.height))]


def test_lines_are_full_width_and_aligned() -> None:
    left = black_columns(render_text("A023", width_px=576, align="left"))
    right = black_columns(render_text("A023", width_px=576, align="right"))
    assert left[0] < 10 and right[-1] > 560


def test_long_text_wraps_onto_more_lines() -> None:
    one = render_text("请稍候", width_px=384)
    many = render_text("请稍候，您前面还有３人。" * 4, width_px=384)
    assert many.width == 384 and many.height >= 3 * one.height


def test_tibetan_uses_the_tibetan_font_and_prints_something() -> None:
    image = render_text(TIBETAN, width_px=576, align="center")
    assert image.mode == "1" and black_columns(image)


def test_font_dir_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    debian = find_fonts()
    if debian.tibetan is None:
        pytest.skip("no Tibetan font installed")
    (tmp_path / "NotoSerifTibetan-Medium.ttf").symlink_to(debian.tibetan)
    monkeypatch.setenv("VSTATION_FONT_DIR", str(tmp_path))
    fonts = find_fonts()
    assert fonts.tibetan == str(tmp_path / "NotoSerifTibetan-Medium.ttf")
    assert fonts.cjk == debian.cjk  # not in that folder: Debian's path


def test_without_font_files_pillow_default_font_still_prints() -> None:
    image = render_text("A023", width_px=384, fonts=FontSet(cjk=None, tibetan=None))
    assert image.width == 384 and black_columns(image)


def test_compact_lines_send_only_the_ink_one_line_at_a_time() -> None:
    from drivers.raster import compact_lines

    text = "请稍候，您前面还有３人。" * 3
    full = render_text(text, width_px=384)
    lines = compact_lines(text, width_px=384)
    assert len(lines) >= 3 and all(magnify == 1 for _, magnify in lines)
    assert all(image.width <= 384 and image.getbbox() is not None for image, _ in lines)
    dots = sum(image.width * image.height for image, _ in lines)
    assert dots < full.width * full.height / 2        # the blank margins and rows are not sent


def test_large_text_is_drawn_at_half_size_for_the_printer_to_double() -> None:
    from drivers.raster import compact_lines

    [(small, magnify)] = compact_lines("A023", width_px=576, scale=4, bold=True)
    big = render_text("A023", width_px=576, scale=4, bold=True)
    ink = ImageOps.invert(big.convert("L")).getbbox()
    assert magnify == 2
    assert abs(small.height * 2 - (ink[3] - ink[1])) <= 6 and abs(small.width * 2 - (ink[2] - ink[0])) <= 6


def test_an_empty_line_is_blank_paper_not_dots() -> None:
    from drivers.raster import compact_lines

    lines = compact_lines("A\n\nB", width_px=384)
    assert [image is None for image, _ in lines] == [False, True, False]
