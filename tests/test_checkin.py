"""Check-in and check-out with a fixed clock: hours become points by the configured rules."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from test_queue import Clock

from kiosk.members import ledger, cards, roster
from kiosk.base import outbox, store
from kiosk.members.visits import Visits, visit_points

NINE = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)       # 09:00 in Asia/Shanghai


@pytest.fixture
def clock() -> Clock:
    return Clock(NINE)


@pytest.fixture
def conn(config):
    c = store.open_store(config.database_path)
    roster.import_csv(c, "member_id,card_uid,name,role\nM1,0A1B2C3D4E,卓玛,member\nS1,5A5A5A5A01,李娜,staff\n",
                      new_member_points=10)
    yield c
    c.close()


@pytest.fixture
def visits(config, clock) -> Visits:
    return Visits(config, clock=clock)


def member(conn, uid: str = "0A1B2C3D4E"):
    return cards.find_by_card(conn, uid)


def test_first_tap_checks_in_next_tap_checks_out_with_points(visits, conn, clock):
    first = visits.tap(conn, member(conn))
    assert (first.kind, first.balance, first.checked_in) == ("checked_in", 10, True)
    clock.advance(hours=1, minutes=40)
    second = visits.tap(conn, member(conn))
    assert (second.kind, second.minutes, second.points, second.balance) == ("checked_out", 100, 3, 13)
    types = [e.type for e in outbox.take(conn, limit=100)]
    assert types == ["points.entry", "member.checked_in", "member.checked_out", "points.entry"]


def test_a_double_tap_changes_nothing(visits, conn, clock):
    visits.tap(conn, member(conn))
    clock.advance(seconds=30)
    again = visits.tap(conn, member(conn))
    assert (again.kind, again.checked_in) == ("repeat", True)
    assert [e.type for e in outbox.take(conn, limit=100)].count("member.checked_out") == 0


@pytest.mark.parametrize("minutes, earned, points", [
    (29, 0, 0),      # under the minimum
    (30, 0, 1),      # half an hour at 2 points an hour
    (59, 0, 1),      # rounded down to whole half hours
    (60, 0, 2),
    (300, 0, 8),     # capped at 8 a day
    (120, 6, 2),     # only what is left of the day's cap
    (120, 8, 0),
])
def test_hours_to_points_rules(config, minutes, earned, points):
    assert visit_points(config.points, minutes, earned) == points


def test_the_daily_cap_spans_several_visits(visits, conn, clock):
    for _ in range(3):
        visits.tap(conn, member(conn))
        clock.advance(hours=2)
        visits.tap(conn, member(conn))
        clock.advance(minutes=10)
    assert ledger.balance(conn, "M1") == 10 + 8


def test_a_forgotten_check_out_closes_at_closing_time_capped_and_flagged(visits, conn, clock):
    clock.now = datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)      # 15:00 local
    visits.tap(conn, member(conn))
    clock.now = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)     # 20:00 local, after 18:00 closing
    assert visits.close_forgotten(conn) == 1
    out = [e for e in outbox.take(conn, limit=100) if e.type == "member.checked_out"][0]
    assert out.data["auto"] is True and out.data["minutes"] == 120 and out.data["points"] == 4
    assert out.ts.startswith("2026-11-23T10:00:00")                      # 18:00 local
    assert visits.close_forgotten(conn) == 0


def test_the_next_days_tap_closes_yesterdays_visit_then_checks_in(visits, conn, clock):
    visits.tap(conn, member(conn))
    clock.advance(days=1)
    outcome = visits.tap(conn, member(conn))
    assert outcome.kind == "checked_in"
    outs = [e.data for e in outbox.take(conn, limit=100) if e.type == "member.checked_out"]
    assert outs and outs[0]["auto"] is True


def test_staff_cards_do_not_check_in(visits, conn):
    assert visits.tap(conn, member(conn, "5A5A5A5A01")).kind == "staff"
    assert conn.execute("SELECT COUNT(*) FROM visits").fetchone()[0] == 0


def test_check_out_without_check_in_cannot_happen(visits, conn, clock):
    """The first tap of a member is always a check-in, whatever came before."""
    clock.advance(minutes=timedelta(hours=5).seconds // 60)
    assert visits.tap(conn, member(conn)).kind == "checked_in"
