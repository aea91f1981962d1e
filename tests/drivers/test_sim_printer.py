"""SimPrinter: the simulated printer keeps real slips and fakes paper states."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image as PILImage

from drivers import paper
from drivers.errors import PaperOut
from drivers.printer import PrinterState
from drivers.sim_printer import SimPrinter


def print_ticket(printer: SimPrinter, number: str) -> None:
    with printer.job() as job:
        job.text(number, align="center", scale=3, bold=True)
        job.text("请稍候，您前面还有３人。")
        job.qr(f"https://v.example/t/{number}")
        job.cut()


def test_slips_are_kept_and_reported() -> None:
    printer = SimPrinter()
    seen: list[bytes] = []
    printer.when_printed = seen.append
    print_ticket(printer, "A023")
    assert seen == printer.jobs
    assert paper.text_of(printer.jobs[-1]).splitlines()[0] == "A023"
    assert paper.qr_payloads(printer.jobs[-1]) == ["https://v.example/t/A023"]


def test_only_the_last_fifty_slips_are_kept() -> None:
    printer = SimPrinter()
    for n in range(55):
        with printer.job() as job:
            job.text(f"A{n:03d}")
    assert len(printer.jobs) == 50
    assert paper.text_of(printer.jobs[0]) == "A005"


def test_paper_png_shows_the_slip() -> None:
    printer = SimPrinter()
    print_ticket(printer, "A023")
    with PILImage.open(io.BytesIO(printer.paper_png())) as image:
        assert image.width == 576
        assert image.convert("L").getextrema() == (0, 255)


def test_no_paper_means_no_slip_and_no_callback() -> None:
    printer = SimPrinter()
    printed: list[bytes] = []
    printer.when_printed = printed.append
    printer.pull_paper()
    assert printer.state() is PrinterState.PAPER_OUT
    with pytest.raises(PaperOut):
        print_ticket(printer, "A024")
    assert printer.jobs == [] and printed == []
    printer.load_paper()
    print_ticket(printer, "A024")
    assert len(printer.jobs) == 1


def test_low_paper_still_prints() -> None:
    printer = SimPrinter()
    printer.set_paper_low(True)
    assert printer.state() is PrinterState.PAPER_LOW
    print_ticket(printer, "A025")
    assert len(printer.jobs) == 1
    printer.set_paper_low(False)
    assert printer.state() is PrinterState.OK


def test_a_broken_listener_does_not_fail_the_print() -> None:
    printer = SimPrinter()

    def broken(data: bytes) -> None:
        raise RuntimeError("listener bug")

    printer.when_printed = broken
    print_ticket(printer, "A026")
    assert len(printer.jobs) == 1


def test_slips_from_many_threads_never_interleave() -> None:
    printer = SimPrinter()
    threads = [
        threading.Thread(target=lambda t=t: [print_ticket(printer, f"T{t}-{n}") for n in range(5)])
        for t in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    numbers = sorted(paper.text_of(job).splitlines()[0] for job in printer.jobs)
    assert numbers == sorted(f"T{t}-{n}" for t in range(4) for n in range(5))


def test_58mm_simulator_draws_narrow_paper() -> None:
    printer = SimPrinter(profile="POS-5890")
    print_ticket(printer, "A027")
    with PILImage.open(io.BytesIO(printer.paper_png())) as image:
        assert image.width == 384
