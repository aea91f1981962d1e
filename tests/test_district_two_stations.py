"""Two real stations spend one member's balance while both are offline, reconnect, and converge.

Each station is a real `vstation run --simulate` process (kiosk and sync) with
the credentials `add-station` made; the hub is the real one (ingest, rosters,
outbound) on one mosquitto. The member is in the district's register with 30
points. With the broker gone, staff at each station redeem a 20-point good
(the station's own supermarket code, on its database, as the kiosk does):
each station lets it go, since each saw 30. When the broker is back, the hub
sees the overdraft, writes the deficit off (`balances.overdraft = "allow"`),
and both stations show the district's balance.
"""

from __future__ import annotations

import pytest
from conftest import Demo, wait_until
from hub import Rig, linked_demo
from sqlalchemy import select

from district.db.engine import reading, writing
from district.db.people import ledger as ledger_table
from district.db.people import overdrafts
from district.members import register
from district.points import ledger as points
from kiosk import config as cfg
from kiosk.base import store
from kiosk.demo import ROSTER
from kiosk.members import ledger
from kiosk.shop.supermarket import Shop
from kiosk.base.clock import utc_now

STATIONS = ("lhasa-cg-barkor-01", "lhasa-cg-jibenggang-02")


def station_balance(demo: Demo, member: str = "M001") -> int:
    conn = store.connect(demo.data_dir / "station.db")
    try:
        return ledger.balance(conn, member)
    finally:
        conn.close()


def redeem_rice(demo: Demo, member: str = "M001") -> int:
    """Staff S001 hands over a 5 kg bag of rice (20 points); the balance the station shows after it."""
    config = cfg.load(demo.data_dir / "station.toml")
    conn = store.connect(demo.data_dir / "station.db")
    try:
        Shop(config.station.timezone).redeem(conn, member, [("rice", 1)], staff_id="S001",
                                             key=f"offline-{config.station.id}")
        return ledger.balance(conn, member)
    finally:
        conn.close()


@pytest.fixture
def district(tmp_path):
    rig = Rig(tmp_path / "district", None, balances={"publish_seconds": 3600, "overdraft": "allow"})
    rig.start_hub()
    stations = []
    try:
        with writing(rig.engine) as conn:
            for member, uid in ROSTER:
                register.add(conn, member_id=member.id, name=member.name, role=member.role, grid=member.grid,
                             card_uid=uid, district="test-district", seed=10, by="ada", now=utc_now(),
                             opening=30 if member.id == "M001" else None)
        stations = [linked_demo(rig, sid, tmp_path / sid) for sid in STATIONS]
        yield rig, stations
    finally:
        for demo in stations:
            demo.stop()
        rig.close()


def test_two_offline_spends_reconnect_and_every_station_shows_the_district_balance(district):
    rig, (a, b) = district
    assert wait_until(lambda: station_balance(a) == 30 and station_balance(b) == 30, 60), \
        (station_balance(a), station_balance(b), a.output()[-2000:])

    rig.broker.stop()                                    # both stations (and the hub) lose the broker
    assert redeem_rice(a) == 10 and redeem_rice(b) == 10
    rig.broker.start()

    def converged() -> bool:
        with reading(rig.engine) as conn:
            district_balance = points.balance(conn, "M001")
        return district_balance == station_balance(a) == station_balance(b) == 0
    assert wait_until(converged, 90), (station_balance(a), station_balance(b), rig.hub_log()[-2000:])
    with reading(rig.engine) as conn:
        found = conn.execute(select(overdrafts.c.member_id, overdrafts.c.deficit, overdrafts.c.rule)).all()
        spends = conn.execute(select(ledger_table.c.station_id, ledger_table.c.amount)
                              .where(ledger_table.c.reason == "redemption")).all()
        written_off = conn.execute(select(ledger_table.c.amount).where(
            ledger_table.c.reason == "overdraft_written_off")).scalars().all()
    assert found == [("M001", 10, "allow")] and written_off == [10]
    assert sorted(spends) == sorted((sid, -20) for sid in STATIONS)
