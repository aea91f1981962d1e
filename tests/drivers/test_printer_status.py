"""Printer status before and after a slip, on a serial printer whose far end drains at its baud rate.

The far end (tests/printer_rig.py) answers DLE EOT and GS r as a printer does
when the bytes reach it, so "after the slip" really is after its last byte.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from conftest import wait_until
from printer_rig import SlowPrinter

from drivers import paper
from drivers.errors import PaperOut, PrinterOffline
from drivers.printer import EscposPrinter, PrinterState, open_printer
from drivers.printer_status import parse_processed_status

SLIP = "请稍候，您前面还有３人。"


@pytest.fixture
def rig() -> Iterator[SlowPrinter]:
    far_end = SlowPrinter(115200)
    yield far_end
    far_end.close()


def serial_printer(rig: SlowPrinter) -> EscposPrinter:
    return open_printer("serial", profile="NT-80-V-UL", device=rig.path, baudrate=rig.baud, timeout=0.3)


def print_slip(printer: EscposPrinter, number: str = "A023") -> PrinterState:
    """Print a small ticket and return what the printer said after it."""
    said: list[PrinterState] = []
    with printer.job(send=lambda data: said.append(printer.send(data))) as job:
        job.text(number, align="center", scale=4, bold=True).text(SLIP).qr(f"vstation:ticket:{number}").cut()
    return said[0]


def test_a_slip_is_answered_for_only_once_it_is_on_paper(rig: SlowPrinter) -> None:
    printer = serial_printer(rig)
    assert print_slip(printer) is PrinterState.OK
    assert rig.cuts() == 1, "GS r is answered after the whole slip was processed"
    assert "A023" in rig.text() and SLIP in rig.text()
    assert paper.qr_payloads(bytes(rig.printed)) == ["vstation:ticket:A023"]
    printer.close()


def test_no_paper_before_the_slip_sends_nothing(rig: SlowPrinter) -> None:
    rig.pull_paper()
    printer = serial_printer(rig)
    with pytest.raises(PaperOut):
        print_slip(printer)
    assert b"A023" not in rig.received
    assert printer.state() is PrinterState.PAPER_OUT
    printer.close()


def test_paper_running_out_during_the_slip_fails_it(rig: SlowPrinter) -> None:
    printer = serial_printer(rig)
    rig.run_out_after(40)
    with pytest.raises(PaperOut, match="ran out while"):
        print_slip(printer)
    assert rig.cuts() == 0
    assert printer.last_state is PrinterState.PAPER_OUT
    printer.close()


def test_paper_low_after_the_slip_is_reported_and_the_slip_counts(rig: SlowPrinter) -> None:
    printer = serial_printer(rig)
    rig.paper_low()
    assert print_slip(printer) is PrinterState.PAPER_LOW
    assert rig.cuts() == 1
    printer.close()


def test_a_printer_with_its_cover_open_gets_nothing(rig: SlowPrinter) -> None:
    rig.set_offline()
    printer = serial_printer(rig)
    assert printer.state() is PrinterState.OFFLINE
    with pytest.raises(PrinterOffline):
        print_slip(printer)
    assert b"A023" not in rig.received
    printer.close()


def test_a_silent_printer_is_unknown_never_ok_and_still_gets_the_slip() -> None:
    rig = SlowPrinter(115200, answers=False)
    try:
        printer = serial_printer(rig)
        assert printer.state() is PrinterState.UNKNOWN
        assert print_slip(printer) is PrinterState.UNKNOWN
        assert wait_until(lambda: rig.cuts() == 1)
        printer.close()
    finally:
        rig.close()


def test_a_printer_without_gs_r_is_asked_dle_eot_after_the_slip() -> None:
    rig = SlowPrinter(115200, processed_answers=False)
    try:
        printer = serial_printer(rig)
        assert print_slip(printer, "A001") is PrinterState.OK
        assert print_slip(printer, "A002") is PrinterState.OK
        assert rig.cuts() == 2
        printer.close()
    finally:
        rig.close()


def test_state_during_a_slip_is_the_last_answer_without_waiting(rig: SlowPrinter) -> None:
    printer = serial_printer(rig)
    assert printer.state() is PrinterState.OK
    rig.hold()
    sending = threading.Thread(target=print_slip, args=(printer,), daemon=True)
    sending.start()
    assert wait_until(rig.pending)              # the slip is on the line, the printer takes nothing
    assert printer.state() is PrinterState.OK and sending.is_alive()
    rig.release()
    sending.join(30)
    assert rig.cuts() == 1
    printer.close()


@pytest.mark.parametrize(("reply", "state"), [
    (b"", PrinterState.UNKNOWN), (b"\x00", PrinterState.OK), (b"\x03", PrinterState.PAPER_LOW),
    (b"\x0c", PrinterState.PAPER_OUT), (b"\x0f", PrinterState.PAPER_OUT), (b"\x12", PrinterState.UNKNOWN)])
def test_gs_r_paper_replies(reply: bytes, state: PrinterState) -> None:
    assert parse_processed_status(reply) is state
