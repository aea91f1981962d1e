"""The counter's rules through the running station: waiting lists, a call by number, no-show and back in
line, pause and close, reprint (demo: counter 1 serves consult A and certify C, counter 2 consult A and print B)."""

from __future__ import annotations

import pytest
from conftest import LocalClock, wait_until

from drivers import paper
from kiosk.base import outbox
from kiosk.printing.jobs import JobState
from kiosk.tickets.ticket import QueueError, TicketState


@pytest.fixture
def station_clock():
    return LocalClock("2026-12-28 09:00")


def take(station, service: str = "consult", *, priority: bool = False) -> str:
    return station.take_ticket(service, priority=priority).issued.ticket.number


def events(station, kind: str) -> list[dict]:
    return [e.data for e in outbox.take(station.db(), limit=1000) if e.type == kind]


def refused(code: str, call, *args, **kw) -> None:
    with pytest.raises(QueueError) as caught:
        call(*args, **kw)
    assert caught.value.code == code


def test_the_console_lists_every_service_with_places_waits_and_priority_marks(station, station_clock):
    take(station)                                  # A001 at 09:00
    station_clock.advance(minutes=5)
    take(station, "print")                         # B001, another counter's service
    take(station, priority=True)                   # A002, priority: called before A001
    station_clock.advance(minutes=2)
    view = station.desk.view("1")
    assert [(line.service.id, line.own) for line in view.lines] == [("consult", True), ("certify", True),
                                                                    ("print", False)]
    consult = view.lines[0].waiting
    assert [(w.ticket.number, w.place, w.ticket.priority, w.waited_s // 60) for w in consult] == [
        ("A002", 1, True, 2), ("A001", 2, False, 7)]
    assert [w.ticket.number for w in view.lines[2].waiting] == ["B001"]
    assert view.current is None and view.status.state.value == "open" and not view.in_service


def test_a_specific_number_is_called_out_of_turn_only_at_a_counter_of_its_service(station):
    for _ in range(3):
        take(station)
    take(station, "print")
    refused("other_service", station.counter_action, "call_number", "1", staff_id="S001", number="B001")
    called = station.counter_action("call_number", "1", staff_id="S001", number="a 003")   # as typed
    assert called.number == "A003" and called.counter == "1" and called.state is TicketState.CALLED
    refused("counter_busy", station.counter_action, "call_number", "1", staff_id="S001", number="A001")
    refused("not_waiting", station.counter_action, "call_number", "2", staff_id="S001", number="A003")
    refused("not_found", station.counter_action, "call_number", "2", staff_id="S001", number="A099")
    assert [(e["number"], e["by"]) for e in events(station, "ticket.called")] == [("A003", "S001")]
    assert station.counter_action("call_next", "2", staff_id="S001").number == "A001"       # the order is kept


def test_a_no_show_goes_back_in_line_at_its_end_with_its_number(station, station_clock):
    take(station)
    take(station)
    first = station.counter_action("call_next", "1", staff_id="S001")
    station_clock.advance(minutes=3)
    refused("not_no_show", station.counter_action, "requeue", "1", staff_id="S001", ticket_id=first.id)
    station.counter_action("no_show", "1", staff_id="S001", ticket_id=first.id)
    assert [t.number for t in station.desk.view("1").no_shows] == ["A001"]
    back = station.counter_action("requeue", "1", staff_id="S001", ticket_id=first.id)
    assert back.number == "A001" and back.state is TicketState.WAITING and back.counter is None
    assert [w.ticket.number for w in station.desk.view("1").lines[0].waiting] == ["A002", "A001"]
    assert station.desk.view("1").no_shows == []
    assert events(station, "ticket.requeued") == [{
        "ticket_id": first.id, "number": "A001", "service": "consult", "state": "waiting", "counter": None,
        "by": "S001", "position": 2}]
    assert station.counter_action("call_next", "1", staff_id="S001").number == "A002"


def test_a_paused_counter_calls_nobody_until_it_opens_again(station):
    take(station)
    station.desk.set_state("1", "paused", staff_id="S001")
    refused("counter_paused", station.counter_action, "call_next", "1", staff_id="S001")
    refused("counter_paused", station.counter_action, "call_number", "1", staff_id="S001", number="A001")
    station.button_pressed("1", "next")                               # the call button changes nothing
    assert station.queue.at_counter(station.db(), "1") is None
    assert station.counter_action("call_next", "2", staff_id="S002").number == "A001"   # other counters call
    station.desk.set_state("1", "open", staff_id="S001")
    take(station)
    assert station.counter_action("call_next", "1", staff_id="S001").number == "A002"
    assert [(e["counter"], e["before"], e["state"], e["by"]) for e in events(station, "counter.state")] == [
        ("1", "open", "paused", "S001"), ("1", "paused", "open", "S001")]


def test_a_counter_closes_only_when_empty_and_its_share_of_the_waits_goes_to_the_others(station):
    for _ in range(3):
        take(station)
    ticket = station.counter_action("call_next", "1", staff_id="S001")
    refused("counter_busy", station.desk.set_state, "1", "closed", staff_id="S001")
    station.counter_action("done", "1", staff_id="S001", ticket_id=ticket.id)

    def wait_of_a003() -> int:        # one ahead of it (A002), consult's counters 1 and 2 share the calls
        return station.queue.describe(station.db(), station.queue.find(station.db(), "A003")).estimated_wait_s
    two_counters = wait_of_a003()
    assert station.desk.set_state("1", "closed", staff_id="S001").state.value == "closed"
    refused("counter_closed", station.counter_action, "call_next", "1", staff_id="S001")
    assert wait_of_a003() == 2 * two_counters > 0          # counter 2 alone calls it now
    station.desk.set_state("1", "paused", staff_id="S001")
    assert wait_of_a003() == two_counters                  # a paused counter comes back soon: it still counts
    refused("bad_counter_state", station.desk.set_state, "1", "asleep", staff_id="S001")
    refused("unknown_counter", station.desk.set_state, "9", "paused", staff_id="S001")


def printed(station, job) -> bool:
    assert wait_until(lambda: station.printing.job(job.id).done, timeout=10)
    return station.printing.job(job.id).state is JobState.PRINTED


def test_staff_reprint_a_waiting_ticket_on_purpose_and_it_is_recorded(station):
    first = station.take_ticket("consult").job
    assert printed(station, first)
    before = len(station.printer.jobs)
    ticket, job = station.desk.reprint("A001", staff_id="S001")
    assert printed(station, job) and len(station.printer.jobs) == before + 1
    text = paper.text_of(station.printer.jobs[-1])
    assert "A001" in text and "补打 2026-12-28 09:00" in text and "您是下一位" in text    # its place now
    assert paper.qr_payloads(station.printer.jobs[-1]) == [f"vstation:ticket:{ticket.id}"]
    again = station.printing.job(job.id)
    assert (again.what, again.ref, again.by, again.reprint_of) == ("ticket", ticket.id, "S001", first.id)
    assert [(e["number"], e["by"], e["print_job"]) for e in events(station, "ticket.reprinted")] == [
        ("A001", "S001", job.id)]


def test_a_reprint_without_paper_fails_as_its_job_and_a_finished_ticket_is_not_reprinted(station):
    number = take(station)
    station.printer.pull_paper()
    _, job = station.desk.reprint(number, staff_id="S001")
    assert not printed(station, job) and station.printing.job(job.id).fault == "paper_out"
    station.printer.load_paper()
    ticket = station.counter_action("call_next", "1", staff_id="S001")
    station.counter_action("done", "1", staff_id="S001", ticket_id=ticket.id)
    refused("bad_state", station.desk.reprint, number, staff_id="S001")


def test_every_counter_change_is_told_to_the_open_consoles(station):
    take(station)
    with station.bus.subscribe() as sub:
        station.counter_action("call_next", "1", staff_id="S001")
        station.desk.set_state("2", "paused", staff_id="S002")
        kinds = [(n.kind, n.data.get("counter")) for n in iter(lambda: sub.get(0.5), None)]
    assert ("call", "1") in kinds and ("queue", "1") in kinds and ("queue", "2") in kinds


def test_every_counter_refusal_reads_in_words(app, station):
    from kiosk.web.refusals import words

    station.take_ticket("print")
    station.take_ticket("consult")
    with app.test_request_context():
        for call in (lambda: station.counter_action("call_number", "1", staff_id="S001", number="B001"),
                     lambda: station.counter_action("call_number", "9", staff_id="S001", number="A001"),
                     lambda: station.desk.set_state("1", "asleep", staff_id="S001")):
            with pytest.raises(QueueError) as caught:
                call()
            assert words(caught.value) != "没有成功，请找工作人员。", caught.value.code
        station.counter_action("call_next", "1", staff_id="S001")
        with pytest.raises(QueueError) as caught:
            station.counter_action("call_number", "2", staff_id="S001", number="A001")
        assert words(caught.value) == "这个号现在不在等候。"
