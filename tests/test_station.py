"""Card taps reach the screens at once; unknown cards are recorded with the UID masked."""

from __future__ import annotations

import logging

from kiosk.base import outbox
from kiosk.members.cards import mask_uid


def test_a_known_card_greets_the_member_on_screen(station, card):
    with station.bus.subscribe() as screen:
        card.tap("0A1B2C3D4E")
        notice = screen.get(timeout=2)
    assert notice.kind == "card"
    assert notice.data["known"] is True and notice.data["name"] == "卓玛"


def test_card_uids_match_whatever_case_the_reader_sends(station, card):
    with station.bus.subscribe() as screen:
        card.tap("0a1b2c3d4e")
        assert screen.get(timeout=2).data["name"] == "卓玛"


def test_an_unknown_card_is_told_and_reported_with_the_uid_masked(station, card, caplog):
    caplog.set_level(logging.DEBUG)
    with station.bus.subscribe() as screen:
        card.tap("9999991234")
        notice = screen.get(timeout=2)
    assert {k: v for k, v in notice.data.items() if k != "tap"} == {"known": False, "uid": "…1234"}
    events = outbox.take(station.db())
    assert [(e.type, e.data) for e in events] == [("card.unknown", {"uid": "…1234"})]
    assert "9999991234" not in caplog.text and "999999" not in caplog.text


def test_a_slow_screen_never_blocks_a_card_tap(station, card):
    stalled = station.bus.subscribe(size=2)   # a screen that never reads
    with station.bus.subscribe() as screen:
        for _ in range(10):
            card.tap("0A1B2C3D4E")
        assert screen.get(timeout=2) is not None
    assert stalled.get(timeout=0.1) is not None  # it keeps only the newest
    stalled.close()


def test_mask_uid_shows_four_characters_at_most():
    assert mask_uid("0A1B2C3D4E") == "…3D4E"
    assert mask_uid("12") == "…"
