"""Queue rules with a fixed clock: numbers, days, the calling rule, states and their events."""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime, time, timedelta, timezone

import pytest

from kiosk.base import outbox, store
from kiosk.config.schedule import Schedule
from kiosk.tickets.calling import Queue
from kiosk.tickets.stats import board, daily_report
from kiosk.tickets.ticket import QueueError, TicketState

SHANGHAI_9AM = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)   # 09:00 in Asia/Shanghai


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    return Clock(SHANGHAI_9AM)


@pytest.fixture
def conn(config):
    c = store.open_store(config.database_path)
    yield c
    c.close()


@pytest.fixture
def queue(config, clock) -> Queue:
    return Queue(config, clock=clock)


def events(conn, type_: str | None = None) -> list[outbox.Event]:
    return [e for e in outbox.take(conn, limit=10_000) if type_ is None or e.type == type_]


def test_numbers_count_up_per_service_and_each_issue_is_an_event(queue, conn):
    assert [queue.issue(conn, "consult").ticket.number for _ in range(3)] == ["A001", "A002", "A003"]
    assert queue.issue(conn, "print").ticket.number == "B001"
    issued = events(conn, "ticket.issued")
    assert [e.data["number"] for e in issued] == ["A001", "A002", "A003", "B001"]
    assert all(e.data["ticket_id"] for e in issued)


def test_numbers_restart_at_local_midnight_not_utc_midnight(queue, conn, clock):
    clock.now = datetime(2026, 11, 23, 15, 59, tzinfo=timezone.utc)    # 23:59 in Shanghai
    assert queue.issue(conn, "consult").ticket.number == "A001"
    assert queue.issue(conn, "consult").ticket.number == "A002"
    clock.advance(minutes=2)                                          # 00:01 next day
    fresh = queue.issue(conn, "consult").ticket
    assert fresh.number == "A001" and fresh.day == "2026-11-24"


def test_a_restart_never_reuses_a_number(config, conn, clock):
    Queue(config, clock=clock).issue(conn, "consult")
    conn.close()
    again = store.open_store(config.database_path)
    assert Queue(config, clock=clock).issue(again, "consult").ticket.number == "A002"


def test_yesterdays_open_tickets_end_when_the_day_changes(queue, conn, clock):
    old = queue.issue(conn, "consult").ticket
    clock.advance(days=1)
    queue.issue(conn, "consult")
    assert queue.get(conn, old.id).state is TicketState.CANCELLED
    assert events(conn, "ticket.cancelled")[0].data["by"] == "day_end"


def test_the_same_request_key_gives_the_same_ticket_once(queue, conn):
    first = queue.issue(conn, "consult", request_key="press-1")
    again = queue.issue(conn, "consult", request_key="press-1")
    assert again.ticket.id == first.ticket.id and again.new is False
    assert len(events(conn, "ticket.issued")) == 1


def test_eight_concurrent_requests_get_eight_distinct_numbers(config, clock):
    numbers, errors = [], []

    def take():
        c = store.connect(config.database_path)
        try:
            numbers.append(Queue(config, clock=clock).issue(c, "consult").ticket.number)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            c.close()

    store.open_store(config.database_path).close()
    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(numbers) == [f"A{i:03d}" for i in range(1, 9)]


def test_unknown_service_and_closed_hours_are_refused_and_write_nothing(config, conn, clock):
    hours = ((time(8, 30), time(12, 0)), (time(14, 30), time(18, 0)))
    queue = Queue(dataclasses.replace(config, queue=dataclasses.replace(
        config.queue, schedule=Schedule(week=(hours,) * 7, given=True))), clock=clock)
    with pytest.raises(QueueError) as err:
        queue.issue(conn, "haircut")
    assert err.value.code == "unknown_service" and err.value.status == 404
    clock.now = datetime(2026, 11, 23, 5, 0, tzinfo=timezone.utc)   # 13:00: lunch break
    with pytest.raises(QueueError) as err:
        queue.issue(conn, "consult")
    assert err.value.code == "closed" and "14:30-18:00" in str(err.value)
    assert events(conn) == []


def test_calling_rule_priority_goes_ahead_but_cannot_starve_ordinary(queue, conn, clock):
    ordinary = queue.issue(conn, "consult").ticket                  # 09:00
    clock.advance(minutes=20)
    late_priority = queue.issue(conn, "consult", priority=True).ticket   # 09:20, counts as 09:05
    clock.advance(minutes=1)
    early_priority_ticket = queue.issue(conn, "consult", priority=True).ticket  # 09:21 → 09:06
    first = queue.call_next(conn, "1", staff_id="S001")
    assert first.id == ordinary.id   # waited 20 min: more than the 15-minute advance
    queue.done(conn, first.id, "1", staff_id="S001")
    assert queue.call_next(conn, "1", staff_id="S001").id == late_priority.id
    clock.advance(minutes=1)
    plain = queue.issue(conn, "consult").ticket                     # 09:22
    queue.no_show(conn, late_priority.id, "1", staff_id="S001")
    assert queue.call_next(conn, "1", staff_id="S001").id == early_priority_ticket.id
    queue.done(conn, early_priority_ticket.id, "1", staff_id="S001")
    assert queue.call_next(conn, "1", staff_id="S001").id == plain.id


def test_a_priority_ticket_passes_ordinary_ones_taken_within_the_advance(queue, conn, clock):
    ordinary = queue.issue(conn, "consult").ticket
    clock.advance(minutes=5)
    priority = queue.issue(conn, "consult", priority=True)
    assert priority.position == 1
    assert queue.call_next(conn, "1", staff_id="S001").id == priority.ticket.id
    assert queue.get(conn, ordinary.id).state is TicketState.WAITING


def test_a_counter_calls_only_its_services_and_one_at_a_time(queue, conn):
    queue.issue(conn, "print")                                       # B: counter 2 only
    with pytest.raises(QueueError) as err:
        queue.call_next(conn, "1", staff_id="S001")
    assert err.value.code == "queue_empty"
    called = queue.call_next(conn, "2", staff_id="S001")
    assert called.number == "B001" and called.counter == "2"
    queue.issue(conn, "print")
    with pytest.raises(QueueError) as err:
        queue.call_next(conn, "2", staff_id="S001")
    assert err.value.code == "counter_busy"
    with pytest.raises(QueueError) as err:
        queue.call_next(conn, "9", staff_id="S001")
    assert err.value.code == "unknown_counter"


def test_the_life_of_a_ticket_and_its_events(queue, conn, clock):
    ticket = queue.issue(conn, "consult").ticket
    queue.call_next(conn, "1", staff_id="S001")
    queue.recall(conn, ticket.id, "1", staff_id="S001")
    with pytest.raises(QueueError) as err:
        queue.start(conn, ticket.id, "2", staff_id="S001")
    assert err.value.code == "wrong_counter"
    queue.start(conn, ticket.id, "1", staff_id="S001")
    clock.advance(minutes=7)
    done = queue.done(conn, ticket.id, "1", staff_id="S001")
    assert done.state is TicketState.DONE and done.calls == 2
    with pytest.raises(QueueError) as err:
        queue.start(conn, ticket.id, "1", staff_id="S001")
    assert err.value.code == "bad_state"
    assert [e.type for e in events(conn)] == ["ticket.issued", "ticket.called", "ticket.called",
                                              "ticket.started", "ticket.done"]
    assert all(e.data["by"] == "S001" for e in events(conn)[1:])


def test_transfer_keeps_the_number_and_the_original_time(queue, conn, clock):
    ticket = queue.issue(conn, "consult").ticket
    clock.advance(minutes=10)
    newer = queue.issue(conn, "certify").ticket
    queue.call_next(conn, "1", staff_id="S001")
    moved = queue.transfer(conn, ticket.id, "1", "certify", staff_id="S001")
    assert moved.number == "A001" and moved.service == "certify" and moved.state is TicketState.WAITING
    assert moved.issued_at == ticket.issued_at
    assert queue.call_next(conn, "1", staff_id="S001").id == ticket.id   # still ahead of C001
    assert queue.get(conn, newer.id).state is TicketState.WAITING
    assert events(conn, "ticket.transferred")[0].data["from_service"] == "consult"


def test_estimated_wait_learns_from_real_service_times(queue, conn, clock):
    for _ in range(3):
        t = queue.issue(conn, "certify").ticket
        queue.call_next(conn, "1", staff_id="S001")
        queue.start(conn, t.id, "1", staff_id="S001")
        clock.advance(minutes=4)
        queue.done(conn, t.id, "1", staff_id="S001")
    assert queue.issue(conn, "certify").estimated_wait_s == 0
    third = queue.issue(conn, "certify")
    assert third.position == 2 and third.estimated_wait_s == 4 * 60      # not the configured 12 minutes
    consult = [queue.issue(conn, "consult") for _ in range(3)][-1]
    assert consult.estimated_wait_s == 2 * 8 * 60 // 2                  # average 8 min over two counters


def test_rating_once_after_done(queue, conn, clock):
    ticket = queue.issue(conn, "consult").ticket
    with pytest.raises(QueueError) as err:
        queue.rate(conn, "A001", 5)
    assert err.value.code == "not_done"
    queue.call_next(conn, "1", staff_id="S001")
    queue.done(conn, ticket.id, "1", staff_id="S001")
    assert queue.last_to_rate(conn).id == ticket.id
    for bad in (0, 6, "5", None, True):
        with pytest.raises(QueueError):
            queue.rate(conn, "a001", bad)
    assert queue.rate(conn, " a001 ", 4).rating == 4
    with pytest.raises(QueueError) as err:
        queue.rate(conn, "A001", 5)
    assert err.value.code == "already_rated"
    assert queue.last_to_rate(conn) is None
    assert [e.data["rating"] for e in events(conn, "rating.given")] == [4]


def test_board_and_daily_report(queue, conn, clock):
    a1 = queue.issue(conn, "consult").ticket
    queue.issue(conn, "consult")
    queue.issue(conn, "print")
    clock.advance(minutes=10)
    queue.call_next(conn, "1", staff_id="S001")
    queue.done(conn, a1.id, "1", staff_id="S001")
    queue.rate(conn, a1.id, 5)
    queue.call_next(conn, "1", staff_id="S001")
    consult = next(b for b in board(conn, queue.config, queue.today()) if b.service == "consult")
    assert consult.waiting == 0 and consult.last_called == ["A002", "A001"]
    assert consult.now_serving[0]["number"] == "A002" and consult.now_serving[0]["counter"] == "1"
    report = {r["service"]: r for r in daily_report(conn, queue.config, queue.today())}
    assert report["consult"]["tickets"] == 2 and report["consult"]["done"] == 1
    assert report["consult"]["wait_median_min"] == 10.0 and report["consult"]["rating_mean"] == 5
    assert report["print"]["tickets"] == 1 and report["print"]["wait_median_min"] is None
