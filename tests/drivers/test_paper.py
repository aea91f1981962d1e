"""The paper decoder reads back what a printer would print, from real escpos bytes."""

from __future__ import annotations

import io

from escpos.printer import Dummy
from PIL import Image as PILImage

from drivers import paper
from drivers.paper import QR, Control, Cut, Feed, Image, Text, Unknown

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"


def test_styled_ascii_line() -> None:
    data = ESC + b"@" + ESC + b"a\x01" + GS + b"!\x11" + ESC + b"E\x01" + b"A023\n"
    assert paper.decode(data) == [Control("ESC @"), Text("A023", "center", 2, True)]


def test_chinese_mode_text_is_decoded_as_gb18030() -> None:
    line = "请稍候，您前面还有３人。"
    data = FS + b"&" + line.encode("gb18030") + FS + b".\n" + b"next\n"
    assert paper.text_of(data) == f"{line}\nnext"


def test_mixed_ascii_and_chinese_on_one_line() -> None:
    data = b"No. " + FS + b"&" + "号".encode("gb18030") + FS + b"." + b" A023\n"
    assert paper.text_of(data) == "No. 号 A023"


def test_native_qr_from_escpos_round_trips() -> None:
    printer = Dummy(profile="NT-80-V-UL")
    printer.qr("https://v.example/t/A023?s=lhasa-01", native=True, size=5)
    assert paper.qr_payloads(printer.output) == ["https://v.example/t/A023?s=lhasa-01"]
    [qr] = [item for item in paper.decode(printer.output) if isinstance(item, QR)]
    assert qr.size == 5


def test_raster_image_from_escpos_keeps_its_bitmap() -> None:
    printer = Dummy(profile="NT-80-V-UL")
    printer.image(PILImage.new("1", (64, 10), 0))  # all black
    [image] = [item for item in paper.decode(printer.output) if isinstance(item, Image)]
    assert (image.width, image.height) == (64, 10)
    assert image.bitmap == b"\xff" * 8 * 10


def test_graphics_image_is_decoded_too() -> None:
    printer = Dummy(profile="NT-80-V-UL")
    printer.image(PILImage.new("1", (16, 4), 0), impl="graphics")
    images = [item for item in paper.decode(printer.output) if isinstance(item, Image)]
    assert [(i.width, i.height) for i in images] == [(16, 4)]


def test_cut_and_feed_from_escpos() -> None:
    printer = Dummy(profile="NT-80-V-UL")
    printer.cut()
    assert paper.decode(printer.output) == [Feed(6), Cut()]


def test_escpos_code_page_switch_is_recorded_not_unknown() -> None:
    printer = Dummy(profile="NT-80-V-UL")
    printer.text("abc\n")
    assert paper.decode(printer.output) == [Control("ESC t", b"\x02"), Text("abc")]


def test_column_image_is_skipped_and_following_text_survives() -> None:
    printer = Dummy(profile="NT-80-V-UL")
    printer.image(PILImage.new("1", (24, 24), 0), impl="bitImageColumn")
    printer._raw(b"after\n")
    items = paper.decode(printer.output)
    assert not [item for item in items if isinstance(item, Unknown)]
    assert paper.text_of(printer.output) == "after"


def test_unknown_and_truncated_bytes_become_unknown_items() -> None:
    items = paper.decode(b"ok\n" + ESC + b"Z" + b"\x01\x02" + b"more\n" + GS + b"v0\x00\x10")
    assert items[0] == Text("ok")
    assert Unknown(ESC + b"Z\x01\x02") in items
    assert items[-1] == Unknown(GS + b"v0\x00\x10")
    assert Text("more") in items


def test_blank_line_is_a_feed() -> None:
    assert paper.decode(b"a\n\nb\n") == [Text("a"), Feed(1), Text("b")]


def test_render_draws_black_print_on_white_paper() -> None:
    printer = Dummy(profile="NT-80-V-UL")
    printer._raw(FS + b"&" + "请取号 A023".encode("gb18030") + FS + b".\n")
    printer.qr("A023", native=True)
    printer.cut()
    image = paper.render(printer.output)
    assert image.width == 576
    assert image.getextrema() == (0, 255)  # some black, some white


def test_render_png_is_a_png_of_the_requested_width() -> None:
    png = paper.render_png(b"hello\n", 384)
    with PILImage.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.width == 384


def test_quadruple_raster_and_dot_feeds_are_read_as_the_printer_prints_them() -> None:
    from PIL import Image as PILImage

    from drivers.printer_util import raster_command

    square = PILImage.new("1", (16, 8), 0)                 # all black
    data = b"\x1ba\x01" + raster_command(square, magnify=2) + b"\x1bJ\x06"
    image, feed = paper.decode(data)[-2:]
    assert isinstance(image, paper.Image) and (image.width, image.height, image.magnify) == (16, 8, (2, 2))
    assert image.align == "center" and feed == paper.Feed(0, 6)
    page = paper.render(data, width_px=64)
    assert page.height == 16 * 2 + 8 * 2 + 6              # margins, the image printed 2 × 2, the feed
