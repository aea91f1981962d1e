"""RS485 8A lock boards: frames tested on bytes, and the bank over a pty with a fake board answering like one."""

from __future__ import annotations

import os
import threading
import tty

import pytest
from conftest import wait_until

from drivers.lock_board import (BadReply, BoardSilent, Rs485LockerBank, bcc, open_frame, parse_reply,
                                query_all_frame, query_frame)
from drivers.lockers import DoorState


def test_frames_are_built_from_their_fields_with_the_xor_check_byte():
    assert open_frame(1, 1) == bytes([0x8A, 0x01, 0x01, 0x11, 0x9B])
    assert query_frame(1, 2) == bytes([0x80, 0x01, 0x02, 0x33, 0xB0])
    assert query_all_frame(3) == bytes([0x80, 0x03, 0x00, 0x33, 0xB0])
    assert bcc(b"\x8a\x01\x01\x11") == 0x9B
    with pytest.raises(ValueError):
        open_frame(256, 1)
    with pytest.raises(ValueError):
        open_frame(1, 0)


def test_replies_are_parsed_by_length_and_checked():
    one = bytes([0x8A, 0x01, 0x03, 0x11]); one += bytes([bcc(one)])
    assert parse_reply(one).doors == {3: True}
    every = bytes([0x80, 0x01, 0x00, 0x01, 0x05, 0x33]); every += bytes([bcc(every)])
    doors = parse_reply(every).doors
    assert [ch for ch, is_open in doors.items() if is_open] == [1, 3, 9]
    with pytest.raises(BadReply, match="check byte"):
        parse_reply(one[:-1] + bytes([one[-1] ^ 0xFF]))
    with pytest.raises(BadReply, match="6 bytes"):
        parse_reply(one + b"\x00")
    with pytest.raises(BadReply):
        parse_reply(b"")


class FakeBoard(threading.Thread):
    """The far end of the pty: answers 8A frames like a board with doors that spring open on unlock."""

    def __init__(self, fd: int, board: int = 1) -> None:
        super().__init__(daemon=True)
        self.fd, self.board = fd, board
        self.doors = {ch: False for ch in range(1, 25)}
        self.mode = "ok"          # ok | silent | bad_check | wrong_length
        self.opens: list[int] = []
        self.stop = threading.Event()

    def reply(self, body: bytes) -> bytes:
        if self.mode == "wrong_length":
            return body
        check = bcc(body) ^ (0xFF if self.mode == "bad_check" else 0)
        return body + bytes([check])

    def run(self) -> None:
        buf = b""
        while not self.stop.is_set():
            try:
                buf += os.read(self.fd, 64)
            except OSError:
                return
            while len(buf) >= 5:
                frame, buf = buf[:5], buf[5:]
                if bcc(frame[:4]) != frame[4] or frame[1] != self.board or self.mode == "silent":
                    continue            # a real board ignores what is not for it
                cmd, ch = frame[0], frame[2]
                if cmd == 0x8A:
                    self.opens.append(ch)
                    self.doors[ch] = True
                    out = self.reply(bytes([0x8A, self.board, ch, 0x11]))
                elif ch == 0:
                    mask = sum(1 << (c - 1) for c, is_open in self.doors.items() if is_open)
                    out = self.reply(bytes([0x80, self.board, mask >> 16 & 0xFF, mask >> 8 & 0xFF, mask & 0xFF, 0x33]))
                else:
                    out = self.reply(bytes([0x80, self.board, ch, 0x11 if self.doors[ch] else 0x00]))
                os.write(self.fd, out)


@pytest.fixture
def line():
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    board = FakeBoard(master)
    board.start()
    bank = Rs485LockerBank(os.ttyname(slave), [("U1", 1, 1), ("C1", 1, 2)], reply_timeout_s=1.0, poll_s=0.05)   # generous: a loaded CI machine answers late
    yield board, bank
    board.stop.set()
    bank.close()
    os.close(slave)
    os.close(master)


def test_a_door_opened_on_the_board_is_reported_through_when_door(line):
    board, bank = line
    seen = []
    bank.when_door = lambda slot, state: seen.append((slot, state))
    assert wait_until(lambda: bank.door("U1") == DoorState.CLOSED)
    bank.unlock("U1")
    assert board.opens == [1]
    assert wait_until(lambda: ("U1", DoorState.OPEN) in seen)
    assert bank.query("C1") == DoorState.CLOSED
    board.doors[1] = False
    assert wait_until(lambda: bank.door("U1") == DoorState.CLOSED)


def test_a_silent_board_fails_the_unlock_once_and_is_never_retried(line):
    board, bank = line
    assert wait_until(lambda: bank.door("U1") == DoorState.CLOSED)
    board.mode = "silent"
    with pytest.raises(BoardSilent):
        bank.unlock("U1")
    assert wait_until(lambda: bank.door("U1") is None, timeout=6)     # unknown while it is silent
    assert board.opens == []     # silent boards record nothing; and the bank sent the frame once:
    board.mode = "ok"
    assert wait_until(lambda: bank.door("U1") == DoorState.CLOSED)
    assert board.opens == []


@pytest.mark.parametrize("mode", ["bad_check", "wrong_length"])
def test_a_garbled_reply_is_refused_and_the_door_reads_unknown(line, mode):
    board, bank = line
    assert wait_until(lambda: bank.door("U1") == DoorState.CLOSED)
    board.mode = mode
    with pytest.raises(BadReply):
        bank.unlock("U1")
    assert board.opens == [1]       # it fired once; the bank did not send it again
    assert wait_until(lambda: bank.door("U1") is None, timeout=6)
