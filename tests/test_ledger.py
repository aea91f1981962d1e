"""Points ledger and roster import: idempotent entries, derived balances, clear rejections."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kiosk.members import ledger, roster
from kiosk.base import outbox, store
from kiosk.base.errors import NotInTransaction


@pytest.fixture
def conn(config):
    c = store.open_store(config.database_path)
    roster.import_csv(c, "member_id,card_uid,name,role,grid,balance\nM1,0A1B2C3D4E,卓玛,member,g1,\n"
                         "M2,0A00C0FFEE,扎西,volunteer,g1,25\n", new_member_points=10)
    yield c
    c.close()


def add(conn, member: str, amount: int, key: str, reason: str = "adjust:activity") -> ledger.Entry:
    with store.transaction(conn):
        return ledger.add(conn, member, amount, reason, key=key, author="S001")


def test_a_new_member_starts_with_the_seed_points_as_an_entry(conn):
    assert ledger.balance(conn, "M1") == 10
    assert [(e.amount, e.reason) for e in ledger.recent(conn, "M1")] == [(10, "seed")]
    assert ledger.balance(conn, "M2") == 25              # the district's balance, no seed
    assert ledger.recent(conn, "M2") == []


def test_the_same_key_twice_is_one_entry(conn):
    first = add(conn, "M1", 2, "form-1")
    again = add(conn, "M1", 2, "form-1")
    assert again.entry_id == first.entry_id and again.new is False
    assert ledger.balance(conn, "M1") == 12
    entries = [e for e in outbox.take(conn, limit=100) if e.type == "points.entry"]
    assert [(e.data["member_id"], e.data["amount"], e.data["balance_after"]) for e in entries] == \
        [("M1", 10, 10), ("M1", 2, 12)]


def test_corrections_are_new_entries_and_the_balance_is_derived(conn):
    add(conn, "M2", -5, "k1", "adjust:absent")
    add(conn, "M2", 5, "k2", "correction")
    assert ledger.balance(conn, "M2") == 25
    assert [e.amount for e in ledger.recent(conn, "M2")] == [5, -5]


def test_a_new_district_snapshot_counts_only_entries_reported_after_it(conn):
    add(conn, "M2", 3, "k1")                             # seen by the district
    seen = conn.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    add(conn, "M2", 4, "k2")                             # not yet
    with store.transaction(conn):
        ledger.set_snapshot(conn, "M2", 40, as_of_seq=seen)   # the district's balance including +3
    assert ledger.balance(conn, "M2") == 44


def test_bad_entries_are_refused(conn):
    with pytest.raises(NotInTransaction):
        ledger.add(conn, "M1", 1, "x", key="k", author="S001")
    for amount in (0, 1.5, True):
        with pytest.raises(ledger.LedgerError):
            add(conn, "M1", amount, f"bad-{amount}")
    with pytest.raises(ledger.LedgerError):
        add(conn, "nobody", 1, "k-nobody")
    assert ledger.balance(conn, "M1") == 10


ADDER = """
import sys
from kiosk.base import store
from kiosk.members import ledger
conn = store.open_store(sys.argv[1])
for i in range(200):
    with store.transaction(conn):
        ledger.add(conn, "M1", 1, "adjust:activity", key=f"{sys.argv[2]}-{i}", author="S001")
"""


def test_two_processes_adding_at_once_keep_the_balance_exact(conn, config):
    procs = [subprocess.Popen([sys.executable, "-c", ADDER, str(config.database_path), name])
             for name in ("kiosk", "other")]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    assert ledger.balance(conn, "M1") == 10 + 400


def test_roster_csv_reports_every_bad_row_and_applies_the_good_ones(conn):
    text = ("\ufeffmember_id,card_uid,name,role,grid,balance\n"
            "M3,1234ABCD56,王秀英,member,g2,\n"
            "M4,,李四,chairman,g2,\n"            # bad role
            "M5,XYZ,赵六,member,g2,\n"            # bad card
            "M3,9999ABCD00,重复,member,g2,\n"      # duplicate id
            ",,没有编号,member,,\n"               # empty id
            "M6,0A1B2C3D4E,钱七,member,g2,\n"      # card of M1
            "M7,ABCDEF0001,孙八,volunteer,g3,abc\n")  # bad balance
    report = roster.import_csv(conn, text, new_member_points=10)
    assert (report.added, report.updated) == (1, 0)
    reasons = dict(report.rejected)
    assert "role 'chairman'" in reasons[3] and "card_uid" in reasons[4] and "appears twice" in reasons[5]
    assert "member_id is empty" in reasons[6] and "belongs to member M1" in reasons[7]
    assert "balance 'abc'" in reasons[8]
    assert "0A1B2C3D4E" not in " ".join(report.lines())  # card UIDs are masked in the report
    assert ledger.balance(conn, "M3") == 10


def test_roster_csv_with_a_wrong_header_changes_nothing(conn):
    report = roster.import_csv(conn, "id,name\nM9,x\n", new_member_points=10)
    assert report.added == 0 and "header lacks member_id" in report.rejected[0][1]
