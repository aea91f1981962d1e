"""Card reader frames and streams, tested on bytes alone."""

from __future__ import annotations

import pytest

from drivers.card_frames import (
    REPEAT_WINDOW_S,
    Debouncer,
    LineStream,
    Rdm6300Stream,
    normalise_uid,
    rdm6300_frame,
    rdm6300_uid,
)
from drivers.errors import FrameError

# 62 ^ E3 ^ 08 ^ 6C ^ ED = 08, worked out by hand.
CARD = "62E3086CED"
FRAME = b"\x0262E3086CED08\x03"
OTHER = "0F00AB12CD"


def test_known_frame() -> None:
    assert rdm6300_frame(CARD) == FRAME
    assert rdm6300_uid(FRAME) == CARD


def test_lower_case_hex_is_accepted_and_upper_cased() -> None:
    assert rdm6300_uid(b"\x0262e3086ced08\x03") == CARD
    assert rdm6300_frame(CARD.lower()) == FRAME


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (FRAME[:-1], "14 bytes, got 13"),
        (b"\x01" + FRAME[1:], "start with 02"),
        (FRAME[:-1] + b"\x04", "end with 03"),
        (b"\x0262E3086CEZ08\x03", "non-hex"),
        (b"\x0262E3086CED09\x03", "expected 08, got 09"),
    ],
)
def test_bad_frames_say_what_is_wrong(frame: bytes, message: str) -> None:
    with pytest.raises(FrameError, match=message):
        rdm6300_uid(frame)


def test_frame_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        rdm6300_frame("12345")


def test_stream_reassembles_a_frame_fed_byte_by_byte() -> None:
    stream = Rdm6300Stream()
    uids = [uid for byte in FRAME * 2 for uid in stream.feed(bytes([byte]))]
    assert uids == [CARD]


def test_stream_drops_garbage_and_a_bad_checksum_then_reads_on() -> None:
    stream = Rdm6300Stream()
    damaged = FRAME[:11] + b"FF" + FRAME[13:]
    uids = stream.feed(b"\xff\x00noise" + damaged + rdm6300_frame(OTHER) * 2)
    assert uids == [OTHER]
    assert stream.corrupt == 1
    assert stream.skipped_bytes > 0


def test_stream_resyncs_after_a_truncated_frame() -> None:
    stream = Rdm6300Stream()
    assert stream.feed(FRAME[:6]) == []
    assert stream.feed(rdm6300_frame(OTHER) * 2 + FRAME * 2) == [OTHER, CARD]
    assert stream.corrupt >= 1


def test_one_valid_frame_alone_is_not_a_tap() -> None:
    clock = FakeClock()
    stream = Rdm6300Stream(clock=clock)
    assert stream.feed(FRAME) == []
    assert stream.unconfirmed == 1
    clock.now += REPEAT_WINDOW_S / 2
    assert stream.feed(FRAME) == [CARD]                 # the card is still held: its frame came again
    clock.now += 10
    assert stream.feed(FRAME) == []                     # long after: a new sighting, to be confirmed again
    assert stream.feed(rdm6300_frame(OTHER) + FRAME) == [CARD]   # another UID between two repeats is no matter


def test_a_misread_card_never_counts_as_a_card_nobody_holds() -> None:
    """A held card's frames with one misread among them: every one-digit misread of the UID, sent as a
    well-formed frame (checksum and all), and every line damage of two digits that the XOR check lets
    through; none of them counts, since the same misread does not come twice in a row."""
    misreads = {CARD[:i] + digit + CARD[i + 1:] for i in range(10) for digit in "0123456789ABCDEF"} - {CARD}
    for uid in misreads:
        assert Rdm6300Stream().feed(FRAME + rdm6300_frame(uid) + FRAME) == [CARD]
    passing = 0
    for i in range(1, 11):
        for j in range(i + 1, 13):
            for a in b"0123456789ABCDEF":
                for b in b"0123456789ABCDEF":
                    damaged = bytearray(FRAME)
                    damaged[i], damaged[j] = a, b
                    if bytes(damaged) == FRAME or not _valid(bytes(damaged)):
                        continue
                    passing += 1
                    assert Rdm6300Stream().feed(FRAME + bytes(damaged) + FRAME) == [CARD]
    assert passing > 0       # the XOR check alone does let some damage through


def _valid(frame: bytes) -> bool:
    try:
        rdm6300_uid(frame)
        return True
    except FrameError:
        return False


def test_line_stream_reads_hex_and_decimal_lines() -> None:
    stream = LineStream()
    assert stream.feed(b"00123") == []
    assert stream.feed(b"45678\r\n0a1b2c3d\n\r\nhello!\n") == ["0012345678", "0A1B2C3D"]
    assert stream.corrupt == 1


def test_line_stream_drops_an_endless_line() -> None:
    stream = LineStream()
    assert stream.feed(b"1" * 100) == []
    assert stream.corrupt == 1
    assert stream.feed(b"\n1234\n") == ["1234"]


def test_normalise_uid() -> None:
    assert normalise_uid(" 0a1b2c3d \n") == "0A1B2C3D"
    with pytest.raises(FrameError):
        normalise_uid("12")


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_held_card_counts_once() -> None:
    clock = FakeClock()
    debouncer = Debouncer(2.0, clock=clock)
    accepted = []
    for _ in range(50):  # five seconds of repeats, every 0.1 s
        accepted.append(debouncer.accept(CARD))
        clock.now += 0.1
    assert accepted.count(True) == 1


def test_a_card_taken_away_and_back_counts_again() -> None:
    clock = FakeClock()
    debouncer = Debouncer(2.0, clock=clock)
    assert debouncer.accept(CARD)
    clock.now += 1.0
    assert not debouncer.accept(CARD)
    assert debouncer.accept(OTHER)
    clock.now += 2.5
    assert debouncer.accept(CARD)
