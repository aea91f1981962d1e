"""EscposPrinter: what reaches the paper, through escpos Dummy, the file printer and a pty."""

from __future__ import annotations

import os
import select
import socket
import threading
import tty
from collections.abc import Iterator

import pytest
from conftest import wait_until
from escpos.printer import Dummy, File

from drivers import paper
from drivers.errors import DeviceUnavailable, PaperOut, PrinterOffline
from drivers.paper import QR, Image, Text
from drivers.printer import EscposPrinter, PrinterState, open_printer, parse_online_status, parse_paper_status

WAIT = "请稍候，您前面还有３人。"
TIBETAN = "བཀྲ་ཤིས་བདེ་ལེགས།"



def nt80() -> EscposPrinter:
    return EscposPrinter(Dummy(profile="NT-80-V-UL"))


def test_chinese_with_full_width_punctuation_prints_intact() -> None:
    printer = nt80()
    with printer.job() as job:
        job.text(WAIT)
    data = printer.device.output
    assert paper.text_of(data) == WAIT
    assert b"\x1c&" + WAIT.encode("gb18030") + b"\x1c." in data


def test_escpos_text_garbles_what_we_send_ourselves() -> None:
    """docs/architecture.md, Facts that bite: python-escpos text() turns full-width punctuation into '?'."""
    printer = Dummy(profile="NT-80-V-UL")
    printer.text("，。３")
    assert b"???" in printer.output


def test_ascii_is_sent_plainly_with_its_style() -> None:
    printer = nt80()
    with printer.job() as job:
        job.text("A023", align="center", scale=3, bold=True)
        job.text("Counter 2", align="right")
    data = printer.device.output
    assert b"\x1c&" not in data
    texts = [item for item in paper.decode(data) if isinstance(item, Text)]
    assert texts == [Text("A023", "center", 3, True), Text("Counter 2", "right", 1, False)]


def test_control_characters_cannot_inject_commands() -> None:
    printer = nt80()
    with printer.job() as job:
        job.text("Zhang\x1bd\x09San")  # ESC d 9 would feed nine lines
    assert paper.decode(printer.device.output)[1:] == [Text("Zhang d San")]


def test_qr_payload_round_trips_centred() -> None:
    printer = nt80()
    with printer.job() as job:
        job.qr("https://v.example/t/A023", size=6)
        job.text("after")
    items = paper.decode(printer.device.output)
    [qr] = [item for item in items if isinstance(item, QR)]
    assert (qr.data, qr.size, qr.align) == ("https://v.example/t/A023", 6, "center")
    assert Text("after") in items


def test_tibetan_is_printed_as_an_image_in_gb18030_mode() -> None:
    printer = nt80()
    with printer.job() as job:
        job.text("A023")
        job.text(TIBETAN, align="center")
    items = paper.decode(printer.device.output)
    assert paper.text_of(printer.device.output) == "A023"
    [image] = [item for item in items if isinstance(item, Image)]
    assert image.width < 576 and image.height > 20 and image.align == "center"   # its ink only, centred by ESC a
    assert b"?" not in printer.device.output.split(b"v0")[0]


def test_raster_mode_prints_every_line_as_an_image() -> None:
    printer = EscposPrinter(Dummy(profile="NT-80-V-UL"), text_mode="raster")
    with printer.job() as job:
        job.text(WAIT)
        job.text("A023", scale=2)
    items = paper.decode(printer.device.output)
    assert paper.text_of(printer.device.output) == ""
    assert len([item for item in items if isinstance(item, Image)]) == 2


class CountingDummy(Dummy):
    """An escpos Dummy that also counts transport writes."""

    writes = 0

    def _raw(self, msg: bytes) -> None:
        self.writes += 1
        super()._raw(msg)


def test_a_job_is_one_write_and_a_failed_job_sends_nothing() -> None:
    device = CountingDummy(profile="NT-80-V-UL")
    printer = EscposPrinter(device)
    with printer.job() as job:
        job.text("A023").text(WAIT).qr("x").rule().feed(2).cut()
    assert device.writes == 1
    with pytest.raises(RuntimeError):
        with printer.job() as job:
            job.text("half a slip")
            raise RuntimeError("station bug")
    assert device.writes == 1
    assert "half a slip" not in paper.text_of(device.output)


def test_rule_spans_the_paper_width() -> None:
    printer = nt80()
    with printer.job() as job:
        job.rule()
    assert Text("-" * 48) in paper.decode(printer.device.output)


def test_file_printer_appends_and_keeps_what_was_there(tmp_path) -> None:
    path = tmp_path / "printer.bin"
    path.write_bytes(b"earlier\n")
    printer = open_printer("file", profile="NT-80-V-UL", path=str(path))
    for ticket in ("A001", "A002"):
        with printer.job() as job:
            job.text(ticket)
    assert path.read_bytes().startswith(b"earlier\n")
    assert paper.text_of(path.read_bytes()) == "earlier\nA001\nA002"


def test_escpos_file_printer_truncates(tmp_path) -> None:
    """Why we have AppendFile: python-escpos File opens its path with 'wb'."""
    path = tmp_path / "printer.bin"
    path.write_bytes(b"earlier\n")
    File(str(path)).text("x")
    assert b"earlier" not in path.read_bytes()


def test_58mm_profile_has_no_cutter_and_no_native_qr(tmp_path) -> None:
    path = tmp_path / "p58.bin"
    printer = open_printer("file", profile="POS-5890", path=str(path))
    assert (printer.width_px, printer.cutter, printer.native_qr) == (384, False, False)
    with printer.job() as job:
        job.text("A023").qr("https://v.example/t/A023").cut()
    data = path.read_bytes()
    assert b"\x1dV" not in data and b"\x1d(k" not in data
    images = [item for item in paper.decode(data) if isinstance(item, Image)]
    assert images and all(image.width <= 384 for image in images)


def test_open_printer_rejects_bad_configuration(tmp_path) -> None:
    with pytest.raises(ValueError, match="'laser'"):
        open_printer("laser", path="x")
    with pytest.raises(ValueError, match="path"):
        open_printer("file")
    with pytest.raises(ValueError, match="baud"):
        open_printer("file", path=str(tmp_path / "p"), baud=9600)
    with pytest.raises(ValueError, match="NO-SUCH"):
        open_printer("file", profile="NO-SUCH", path=str(tmp_path / "p"))


def test_usb_without_pyusb_is_a_clear_error() -> None:
    from escpos.printer import usb

    if usb.is_usable():
        pytest.skip("pyusb is installed here")
    with pytest.raises(DeviceUnavailable, match="pyusb"):
        open_printer("usb", vendor_id="0x0416", product_id="0x5011")


def test_network_printer_that_refuses_is_offline() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    printer = open_printer("network", host="127.0.0.1", port=port, timeout=2)
    with pytest.raises(PrinterOffline):
        with printer.job() as job:
            job.text("A023")
    assert isinstance(PrinterOffline("x"), OSError)


@pytest.mark.parametrize(
    ("reply", "state"),
    [(b"", PrinterState.UNKNOWN), (b"\x12", PrinterState.OK), (b"\x1e", PrinterState.PAPER_LOW),
     (b"\x72", PrinterState.PAPER_OUT), (b"\xff", PrinterState.UNKNOWN)],
)
def test_paper_status_bytes(reply: bytes, state: PrinterState) -> None:
    assert parse_paper_status(reply) is state


def test_online_status_bytes() -> None:
    assert parse_online_status(b"\x12") is PrinterState.OK
    assert parse_online_status(b"\x1a") is PrinterState.OFFLINE
    assert parse_online_status(b"") is PrinterState.UNKNOWN


class PtyPrinter:
    """The far end of a serial printer: collects bytes, answers DLE EOT if told to."""

    def __init__(self, paper_byte: int | None, online_byte: int = 0x12) -> None:
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        self.slave = slave
        self.replies = {1: online_byte, 4: paper_byte}
        self.received = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            chunk = os.read(self.master, 4096)
            self.received += chunk
            for n in (1, 4):
                if b"\x10\x04" + bytes([n]) in chunk and self.replies[n] is not None:
                    os.write(self.master, bytes([self.replies[n]]))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def pty_printer(request) -> Iterator[PtyPrinter]:
    far_end = PtyPrinter(*request.param)
    yield far_end
    far_end.close()


def serial_printer(far_end: PtyPrinter) -> EscposPrinter:
    return open_printer("serial", profile="NT-80-V-UL", device=far_end.path, baudrate=9600, timeout=0.2)


@pytest.mark.parametrize("pty_printer", [(0x72,)], indirect=True)
def test_paper_out_on_a_real_serial_line_sends_nothing(pty_printer: PtyPrinter) -> None:
    printer = serial_printer(pty_printer)
    assert printer.state() is PrinterState.PAPER_OUT
    with pytest.raises(PaperOut):
        with printer.job() as job:
            job.text("A023")
    printer.close()
    assert b"A023" not in pty_printer.received


@pytest.mark.parametrize("pty_printer", [(0x1E,), (0x12, 0x1A)], indirect=True)
def test_answering_printer_reports_low_paper_or_offline(pty_printer: PtyPrinter) -> None:
    printer = serial_printer(pty_printer)
    expected = PrinterState.PAPER_LOW if pty_printer.replies[1] == 0x12 else PrinterState.OFFLINE
    assert printer.state() is expected
    printer.close()


@pytest.mark.parametrize("pty_printer", [(None, None)], indirect=True)
def test_silent_printer_is_unknown_not_ok_and_still_prints(pty_printer: PtyPrinter) -> None:
    printer = serial_printer(pty_printer)
    assert printer.state() is PrinterState.UNKNOWN
    with printer.job() as job:
        job.text(WAIT)
    printer.close()
    assert wait_until(lambda: WAIT.encode("gb18030") in pty_printer.received)


def test_bad_style_is_refused_before_anything_is_sent() -> None:
    printer = nt80()
    with pytest.raises(ValueError, match="align"):
        with printer.job() as job:
            job.text("A023", align="middle")
    with pytest.raises(ValueError, match="scale"):
        with printer.job() as job:
            job.text(TIBETAN, scale=9)
    assert printer.device.output == b""
