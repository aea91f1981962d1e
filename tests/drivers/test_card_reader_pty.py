"""SerialCardReader against a real pseudo-terminal, the way a USB-serial RDM6300 looks."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from card_pty import Pty, held

from drivers.card_frames import rdm6300_frame
from drivers.card_reader import ReaderState, SerialCardReader, SimCardReader
from drivers.errors import FrameError

CARD, OTHER = "62E3086CED", "0F00AB12CD"


class Watched:
    """A reader with its callbacks wired to queues and events."""

    def __init__(self, path: str, **kwargs: object) -> None:
        self.reader = SerialCardReader(path, retry_min_s=0.02, retry_max_s=0.1, **kwargs)
        self.cards: queue.Queue[str] = queue.Queue()
        self.states: dict[ReaderState, threading.Event] = {state: threading.Event() for state in ReaderState}
        self.reader.when_card = self.cards.put
        self.reader.when_state = lambda state: self.states[state].set()

    def wait_state(self, state: ReaderState) -> bool:
        ok = self.states[state].wait(5)
        self.states[state].clear()
        return ok

    def next_card(self) -> str:
        return self.cards.get(timeout=5)


@pytest.fixture
def pty() -> Iterator[Pty]:
    pair = Pty()
    yield pair
    pair.close()


@pytest.fixture
def watched(pty: Pty) -> Iterator[Watched]:
    w = Watched(pty.path)
    w.reader.start()
    assert w.wait_state(ReaderState.OK)
    yield w
    w.reader.stop()


def test_a_tap_reaches_when_card(pty: Pty, watched: Watched) -> None:
    pty.write(held(CARD))
    assert watched.next_card() == CARD
    assert watched.reader.state is ReaderState.OK


def test_a_lone_misread_frame_is_no_tap(pty: Pty, watched: Watched) -> None:
    misread = CARD[:-1] + ("0" if CARD[-1] != "0" else "1")   # well-formed, checksum and all, but seen once
    pty.write(rdm6300_frame(CARD) + rdm6300_frame(misread) + rdm6300_frame(CARD))
    pty.write(held(OTHER))                                     # once this arrives, the misread was read
    assert [watched.next_card(), watched.next_card()] == [CARD, OTHER]
    assert watched.cards.empty()


def test_garbage_and_a_bad_frame_are_counted_and_the_next_card_gets_through(pty: Pty, watched: Watched) -> None:
    bad = rdm6300_frame(CARD)[:11] + b"00" + b"\x03"
    pty.write(b"\xfe\xfenoise" + bad)
    pty.write(held(OTHER))
    assert watched.next_card() == OTHER
    assert watched.reader.corrupt_frames == 1
    assert watched.cards.empty()


def test_a_held_card_is_one_tap(pty: Pty, watched: Watched) -> None:
    for _ in range(5):
        pty.write(rdm6300_frame(CARD))
    pty.write(held(OTHER))  # once this arrives, every repeat was read
    assert [watched.next_card(), watched.next_card()] == [CARD, OTHER]
    assert watched.cards.empty()


def test_frames_split_across_writes(pty: Pty, watched: Watched) -> None:
    frame = held(CARD)
    for part in (frame[:3], frame[3:9], frame[9:20], frame[20:]):
        pty.write(part)
    assert watched.next_card() == CARD


def test_stop_ends_the_thread(pty: Pty) -> None:
    w = Watched(pty.path)
    w.reader.start()
    assert w.wait_state(ReaderState.OK)
    w.reader.stop()
    assert not [t for t in threading.enumerate() if t.name == f"card-reader {pty.path}"]


def test_missing_device_is_offline_until_it_appears(tmp_path: Path, pty: Pty) -> None:
    link = tmp_path / "usb-RDM6300-if00-port0"
    w = Watched(str(link))
    w.reader.start()
    try:
        assert w.wait_state(ReaderState.OFFLINE)
        assert w.reader.last_error
        link.symlink_to(pty.path)
        assert w.wait_state(ReaderState.OK)
        pty.write(held(CARD))
        assert w.next_card() == CARD
    finally:
        w.reader.stop()


def test_unplugged_reader_comes_back_on_the_same_path(tmp_path: Path) -> None:
    first, second = Pty(), Pty()
    link = tmp_path / "reader"
    link.symlink_to(first.path)
    w = Watched(str(link))
    w.reader.start()
    try:
        assert w.wait_state(ReaderState.OK)
        first.close()  # the USB adapter is pulled
        assert w.wait_state(ReaderState.OFFLINE)
        spare = tmp_path / "reader.new"
        spare.symlink_to(second.path)
        spare.replace(link)  # udev recreates the by-id link for the new device
        assert w.wait_state(ReaderState.OK)
        second.write(held(OTHER))
        assert w.next_card() == OTHER
    finally:
        w.reader.stop()
        second.close()


def test_serial_line_reader(pty: Pty) -> None:
    w = Watched(pty.path, kind="serial-line")
    w.reader.start()
    try:
        assert w.wait_state(ReaderState.OK)
        pty.write(b"not a card\r\n0a1b2c3d\r\n")
        assert w.next_card() == "0A1B2C3D"
        assert w.reader.corrupt_frames == 1
    finally:
        w.reader.stop()


def test_unknown_kind_is_named() -> None:
    with pytest.raises(ValueError, match="'evdevx'"):
        SerialCardReader("/dev/null", kind="evdevx")


def test_sim_reader_taps_at_once() -> None:
    reader = SimCardReader()
    taps: list[str] = []
    reader.when_card = taps.append
    reader.start()
    reader.tap("0a1b2c3d")
    reader.tap("0a1b2c3d")  # the simulator taps on purpose: no de-duplication
    assert taps == ["0A1B2C3D", "0A1B2C3D"]
    assert (reader.state, reader.corrupt_frames) == (ReaderState.OK, 0)
    with pytest.raises(FrameError):
        reader.tap("x")
    reader.stop()
