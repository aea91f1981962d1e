"""The outbox: events written with their change, seq without gaps, forgotten only on ack."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.base import outbox, store
from kiosk.base.errors import NotInTransaction


@pytest.fixture
def conn(tmp_path: Path):
    c = store.open_store(tmp_path / "station.db")
    yield c
    c.close()


def append(conn, n: int, type_: str = "ticket.issued") -> list[outbox.Event]:
    events = []
    for i in range(n):
        with store.transaction(conn):
            events.append(outbox.append(conn, type_, {"ticket_id": f"T{i}"}))
    return events


def test_append_outside_a_transaction_is_refused(conn):
    with pytest.raises(NotInTransaction):
        outbox.append(conn, "ticket.issued", {"ticket_id": "T1"})
    assert outbox.depth(conn) == 0


def test_events_come_back_in_seq_order_with_their_data(conn):
    written = append(conn, 5)
    assert [e.seq for e in written] == [1, 2, 3, 4, 5]
    taken = outbox.take(conn, limit=3)
    assert [e.seq for e in taken] == [1, 2, 3]
    epoch = outbox.current_epoch(conn).epoch
    assert taken[0].as_message() == {"id": written[0].id, "seq": 1, "epoch": epoch, "type": "ticket.issued",
                                     "ts": written[0].ts, "data": {"ticket_id": "T0"}}
    assert [e.seq for e in outbox.take(conn, after_seq=3)] == [4, 5]


def test_a_rolled_back_change_leaves_no_event_and_no_gap(conn):
    append(conn, 2)
    with pytest.raises(ValueError):
        with store.transaction(conn):
            outbox.append(conn, "redemption.made", {"redemption_id": "R1"})
            raise ValueError("stock ran out")
    assert [e.seq for e in append(conn, 1)] == [3]


def test_events_are_forgotten_only_up_to_the_acknowledgement(conn):
    append(conn, 5)
    assert outbox.forget(conn, 3) == 3
    assert [e.seq for e in outbox.take(conn)] == [4, 5]
    assert outbox.forget(conn, 2) == 0          # an old ack never moves backwards
    assert outbox.forget(conn, 999) == 2        # an ack past the end is clamped
    assert outbox.acked_seq(conn) == 5
    assert outbox.depth(conn) == 0


def test_seq_is_never_reused_after_everything_was_forgotten(conn):
    append(conn, 3)
    outbox.forget(conn, 3)
    assert [e.seq for e in append(conn, 2)] == [4, 5]


def test_backlog_age_is_reported(conn):
    assert outbox.oldest_age_s(conn) is None
    with store.transaction(conn):
        outbox.append(conn, "ticket.issued", {"ticket_id": "T1"}, ts="2026-11-22T00:00:00.000+00:00")
    from datetime import datetime, timezone
    assert outbox.oldest_age_s(conn, now=datetime(2026, 11, 22, 0, 1, tzinfo=timezone.utc)) == 60.0


WRITER = """
import sys
from kiosk.base import outbox, store
conn = store.open_store(sys.argv[1])
name, count = sys.argv[2], int(sys.argv[3])
for i in range(count):
    with store.transaction(conn):
        conn.execute("INSERT INTO members (id, name, role) VALUES (?, ?, 'member')", (f"{name}-{i}", name))
        outbox.append(conn, "member.registered", {"member_id": f"{name}-{i}"})
    if i == 20:
        print("going", flush=True)
"""


def writer(db: Path, name: str, count: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(db), name, str(count)],
                            stdout=subprocess.PIPE, text=True)


def assert_consistent(db: Path) -> int:
    conn = store.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    seqs = [r[0] for r in conn.execute("SELECT seq FROM events ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1)), "seq has a gap or a repeat"
    rows = conn.execute("SELECT COUNT(*) FROM members").fetchone()[0]
    reported = conn.execute("SELECT COUNT(*) FROM events e JOIN members m "
                            "ON m.id = json_extract(e.data, '$.member_id')").fetchone()[0]
    assert rows == reported == len(seqs), "a committed change without its event, or the reverse"
    conn.close()
    return len(seqs)


def test_two_processes_appending_at_once_keep_seq_contiguous(tmp_path: Path):
    db = tmp_path / "station.db"
    store.open_store(db).close()
    procs = [writer(db, "kiosk", 300), writer(db, "sync", 300)]
    for p in procs:
        assert p.wait(timeout=120) == 0
    assert assert_consistent(db) == 600


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2])
def test_kill_9_during_appends_leaves_every_change_with_its_event(tmp_path: Path, delay: float):
    db = tmp_path / "station.db"
    store.open_store(db).close()
    proc = writer(db, "victim", 1_000_000)
    assert proc.stdout.readline().strip() == "going"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    written = assert_consistent(db)
    assert written > 20
    # the database is usable at once and seq carries on where it stopped
    conn = store.open_store(db)
    with store.transaction(conn):
        assert outbox.append(conn, "x", {}).seq == written + 1
