"""One balance per member for the district: every station's points entries once, rosters that converge.

Light station twins (tests/hub.py) on a real mosquitto publish `points.entry`
events as a station writes them; the hub (its ingest, rounds and outbound
loop, on SQLite and PostgreSQL) keeps the ledger and sends each station a
roster whose balances count everything but that station's own entries after
its `as_of_seq`. The schedule is an hour: every roster here follows a change
(an entry stored, a birth, the console's bell). What each station would show is worked out by the station's
rule (snapshot + its own entries after as_of_seq, kiosk/members/ledger.py).
"""

from __future__ import annotations

import json
import uuid

import pytest
from conftest import wait_until
from hub import Rig, Twin
from sqlalchemy import func, select

from district.db.engine import reading, writing
from district.ingest.unit import Ingest, Received
from district.db.people import ledger, member_balances, overdrafts, station_points
from district.members import register, rosters
from district.points import ledger as points
from district.projections import Projector
from kiosk.base.clock import now_rfc3339, utc_now

A, B = "lhasa-cg-barkor-01", "lhasa-cg-jibenggang-02"


@pytest.fixture
def rig(tmp_path, db_url, request):
    rule = getattr(request, "param", "allow")
    running = Rig(tmp_path / "district", db_url, balances={"publish_seconds": 3600, "overdraft": rule})
    for station in (A, B):
        running.add_station(station)
    running.start_hub()
    yield running
    running.close()


def twin(rig: Rig, station: str) -> Twin:
    found = Twin(rig.broker, station, rig.secret(station, "mqtt.secret"), epoch=1_700_000_000_000)
    found.birth()
    return found


def entry(t: Twin, amount: int, reason: str, balance_after: int, *, member: str = "M001",
          seq: int | None = None) -> dict:
    """A points.entry event as the station writes it."""
    return t.event("points.entry", {"entry_id": str(uuid.uuid4()), "member_id": member, "amount": amount,
                                    "reason": reason, "author": "S001", "note": "", "balance_after": balance_after},
                   seq=seq)


def roster(t: Twin) -> dict | None:
    with t.lock:
        return t.documents.get("roster")


def shown(t: Twin, member: str = "M001") -> int | None:
    """What the station would show: the roster's balance plus its own entries after the roster's as_of_seq."""
    doc = roster(t)
    if doc is None:
        return None
    snapshot = next(m["balance"] for m in doc["members"] if m["member_id"] == member)
    written = {e["id"]: e for e in t.sent}.values()             # a re-sent event is the same entry
    return snapshot + sum(e["data"]["amount"] for e in written if e["type"] == "points.entry"
                          and e["data"]["member_id"] == member and e["seq"] > doc["as_of_seq"])


def send(t: Twin, *events: dict) -> None:
    t.sent = getattr(t, "sent", []) + list(events)
    t.send(list(events))


def district_balance(rig: Rig, member: str = "M001") -> int:
    with reading(rig.engine) as conn:
        return points.balance(conn, member)


def assert_sums_hold(rig: Rig) -> None:
    """The running sums are the ledger's sums, per member and per station."""
    with reading(rig.engine) as conn:
        sums = dict(conn.execute(select(ledger.c.member_id, func.sum(ledger.c.amount))
                                 .where(ledger.c.counts.is_(True)).group_by(ledger.c.member_id)).all())
        kept = dict(conn.execute(select(member_balances.c.member_id, member_balances.c.balance)).all())
        per_station = dict(conn.execute(select(ledger.c.station_id, func.sum(ledger.c.amount))
                                        .where(ledger.c.counts.is_(True), ledger.c.station_id.is_not(None))
                                        .group_by(ledger.c.station_id)).all())
        kept_station = dict(conn.execute(select(station_points.c.station_id, func.sum(station_points.c.amount))
                                         .group_by(station_points.c.station_id)).all())
    assert {k: int(v) for k, v in sums.items()} == {k: int(v) for k, v in kept.items()}
    assert {k: int(v) for k, v in per_station.items()} == {k: int(v) for k, v in kept_station.items()}


def add_member(rig: Rig, member: str = "M001", opening: int = 30) -> None:
    with writing(rig.engine) as conn:
        register.add(conn, member_id=member, name="卓玛", role="member", grid="grid-1", card_uid="0A1B2C3D4E",
                     district="test-district", seed=10, by="ada", now=utc_now(), opening=opening)
    rig.hub.wake()


def test_each_entry_counts_once_and_every_station_shows_the_district_balance(rig):
    add_member(rig)
    a, b = twin(rig, A), twin(rig, B)
    a.sent, b.sent = [], []
    assert wait_until(lambda: shown(a) == 30 and shown(b) == 30, 20)
    assert roster(a)["as_of_seq"] == 0 and roster(a)["members"][0]["card_uid"] == "0A1B2C3D4E"
    first = roster(a)["version"]

    earned = entry(a, 5, "volunteer_hours", 35)
    send(a, earned)
    assert a.wait_acked(1)
    send(a, earned)                                          # re-sent after a reconnect: stored once
    assert wait_until(lambda: shown(b) == 35, 20), roster(b)
    assert district_balance(rig) == 35 and shown(a) == 35
    assert roster(a)["version"] == first                     # its own entry: station A knew it already

    send(a, entry(a, 2, "volunteer_hours", 37, seq=3))       # seq 2 is still on its way: a hole
    with writing(rig.engine) as conn:
        points.record_district_entry(conn, "M001", 1, "adjust:correction", author="ada", note="", now=utc_now())
    rig.hub.wake()
    assert wait_until(lambda: roster(a)["version"] != first and shown(b) == 38, 20)
    assert roster(a)["as_of_seq"] == 1 and roster(a)["members"][0]["balance"] == 36   # seq 3 is A's to add
    assert shown(a) == 38

    send(a, entry(a, 10, "seed", 48, seq=2))                 # a station's own seed: the district seeds itself
    a.seq = 3
    assert wait_until(lambda: roster(a)["as_of_seq"] == 3, 20)   # it counted the seed: the roster takes it out
    assert shown(a) == 38 == district_balance(rig) and shown(b) == 38
    with reading(rig.engine) as conn:
        assert conn.execute(select(func.count()).select_from(ledger)).scalar() == 5     # opening, 3 of A, 1 district
    assert_sums_hold(rig)
    a.close()
    b.close()


def test_a_seed_behind_a_hole_that_a_ticket_fills_still_gets_its_roster_from_a_quiet_round(tmp_path, db_url):
    """A round looks at every station only when the register or the ledger changed; a hole filled by an event
    that is no points entry changes neither, and the roster taking the station's own seed out must still go.
    The hub's ingest and one round, in this thread (no broker: the order is the test's)."""
    rig = Rig(tmp_path / "district", db_url, balances={"publish_seconds": 3600})
    try:
        rig.add_station(A)
        with writing(rig.engine) as conn:
            register.add(conn, member_id="M001", name="卓玛", role="member", grid="grid-1", card_uid=None,
                         district="test-district", seed=10, by="ada", now=utc_now(), opening=30)
        ingest = Ingest(rig.engine, rig.settings.ingest, projector=Projector(rig.settings.balances))
        round_ = rosters.Round("test-district")
        epoch = 1_700_000_000_000

        def receive(leaf: str, payload: dict) -> None:
            ingest.handle(Received(f"vstation/v1/{A}/{leaf}", json.dumps(payload).encode()))

        def event(seq: int, type_: str, data: dict) -> dict:
            return {"id": str(uuid.uuid4()), "seq": seq, "type": type_, "ts": now_rfc3339(), "data": data,
                    "epoch": epoch}
        receive("status", {"online": True, "version": "0.1.0", "started": now_rfc3339(), "session": 1,
                           "epoch": epoch, "epoch_first_seq": 1, "ts": now_rfc3339()})
        assert [m.as_of_seq for m in round_.run(rig.engine, utc_now())] == [0]      # born: its first roster
        seed = {"entry_id": str(uuid.uuid4()), "member_id": "M001", "amount": 10, "reason": "seed",
                "author": "S001", "note": "", "balance_after": 40}
        receive("events", {"events": [event(2, "points.entry", seed)], "ts": now_rfc3339()})   # seq 1 missing
        assert round_.run(rig.engine, utc_now()) == []     # the ledger grew, every station looked at: no change
        receive("events", {"events": [event(1, "ticket.issued", {"ticket_id": "t1"})], "ts": now_rfc3339()})
        made = round_.run(rig.engine, utc_now())           # register and ledger as they were
        assert [(m.station, m.as_of_seq) for m in made] == [(A, 2)]
        assert round_.run(rig.engine, utc_now()) == []
    finally:
        rig.close()


@pytest.mark.parametrize("rig", ["allow", "claw_back"], indirect=True)
def test_two_offline_spends_overdraw_once_and_the_rule_decides_what_every_station_shows(rig):
    add_member(rig)
    a, b = twin(rig, A), twin(rig, B)
    a.sent, b.sent = [], []
    assert wait_until(lambda: shown(a) == 30 and shown(b) == 30, 20)
    send(a, entry(a, -20, "redemption", 10))                 # each station saw 30 and let 20 go
    send(b, entry(b, -20, "redemption", 10))
    assert a.wait_acked(1) and b.wait_acked(1)
    rule = rig.settings.balances.overdraft
    expected = 0 if rule == "allow" else -10
    assert wait_until(lambda: shown(a) == expected and shown(b) == expected, 20), (roster(a), roster(b))
    assert district_balance(rig) == expected
    with reading(rig.engine) as conn:
        found = conn.execute(select(overdrafts)).all()
        written_off = conn.execute(select(ledger.c.amount).where(ledger.c.reason == "overdraft_written_off")) \
            .scalars().all()
    assert [(o.member_id, o.deficit, o.balance, o.rule) for o in found] == [("M001", 10, -10, rule)]
    assert written_off == ([10] if rule == "allow" else [])
    assert_sums_hold(rig)
    a.close()
    b.close()
