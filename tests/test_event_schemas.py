"""Every event type the station writes has its `data` schema in the contract, and the real events match it.

One station goes through every flow that writes an event (queue, members,
shop, help, lockers, printer, district documents and commands) and the
district's checks are applied to what its outbox holds: the message's
schema, and `Data.<type>` from docs/asyncapi.yaml (= sync/event_schemas.py).
The station fixture of conftest applies the same checks after every test.
"""

from __future__ import annotations

import json

import pytest
from conftest import contract_problems, wait_until
from gpiozero.pins.mock import MockFactory
from locker_rig import FakeClock, Hand, locker_config, make_station

from kiosk.base import outbox
from kiosk.district import documents, inbox
from kiosk.help.desk import HAND_BACK_REASONS, OUTCOMES, PREFERRED_TIMES
from kiosk.tickets.counters import CounterState
from kiosk.tickets.ticket import TicketState
from sync import event_schemas, schemas
from sync.documents import Documents

MEMBER, STAFF, UNKNOWN = "0A1B2C3D4E", "5A5A5A5A01", "9999999999"


@pytest.fixture
def rig(config):
    factory, clock = MockFactory(), FakeClock().start()
    st = make_station(locker_config(config, fault_after=1, overdue_points=2), factory, clock=clock)
    yield st, Hand(factory), clock
    st.stop()


def queue_events(st) -> None:
    first = st.take_ticket("consult").issued.ticket
    for action in ("call_next", "recall", "start", "done"):
        st.counter_action(action, "1", staff_id="S001", ticket_id=first.id)
    st.queue.rate(st.db(), first.id, 5)
    second = st.take_ticket("consult").issued.ticket
    st.counter_action("call_next", "1", staff_id="S001")
    st.counter_action("no_show", "1", staff_id="S001", ticket_id=second.id)
    st.counter_action("requeue", "1", staff_id="S001", ticket_id=second.id)
    st.desk.reprint(second.id, staff_id="S001")
    st.counter_action("call_number", "1", staff_id="S001", number=second.number)
    st.counter_action("done", "1", staff_id="S001", ticket_id=second.id)
    st.desk.set_state("2", "paused", staff_id="S001")
    st.desk.set_state("2", "open", staff_id="S001")
    third = st.take_ticket("consult", priority=True).issued.ticket
    st.counter_action("call_next", "1", staff_id="S001")
    st.counter_action("transfer", "1", staff_id="S001", ticket_id=third.id, to_service="print")
    st.end_queue_day(by="district")


def member_and_shop_events(st, clock) -> None:
    st.card_tapped(MEMBER)
    clock.advance(hours=2)
    st.card_tapped(MEMBER)                                # checked out: hours become points
    st.card_tapped(UNKNOWN)
    conn = st.db()
    st.duty.tap(conn, STAFF)                              # on duty …
    clock.advance(hours=1)
    st.duty.tap(conn, STAFF)                              # … and off
    redemption, _ = st.redeem("M001", [("soap", 1)], staff_id="S001", key="schemas")
    st.shop.void(conn, redemption.id, staff_id="S001", reason="returned", now=st.clock())
    st.shop.adjust_stock(conn, "soap", staff_id="S001", kind="received", quantity=5)
    st.shop.adjust_stock(conn, "soap", staff_id="S001", kind="counted", quantity=3)


def help_events(st) -> None:
    conn, category = st.db(), st.config.help.categories[0]
    detail = category.details[0].id
    asked, _ = st.ask_for_help(category.id, "13812345678", [detail], "today_am", consent=True, key="one")
    st.dispatch_request(asked.id, "M001", 5)
    st.requests.accept(conn, asked.id, "M001")
    st.requests.done(conn, asked.id, "M001", "solved")
    st.requests.rate(conn, asked.id, 4)
    other, _ = st.ask_for_help(category.id, "13912345678", [], "this_week", consent=True, key="two")
    st.dispatch_request(other.id, "M002", 0)
    st.requests.accept(conn, other.id, "M002")
    st.requests.hand_back(conn, other.id, "M002", "no_time")


def locker_events(st, hand, clock) -> None:
    conn = st.db()
    borrowed = st.locker_action("borrow", MEMBER)
    hand.open("U1"); hand.take("U1"); hand.shut("U1")                     # noqa: E702
    assert wait_until(lambda: st.locker_core.status(conn, borrowed.op_id).phase == "done")
    clock.advance(hours=80)
    st.locker_core.tick(conn)                                             # loan.overdue
    back = st.locker_action("return", MEMBER)
    hand.open(back.slot_id); hand.put(back.slot_id); hand.shut(back.slot_id)  # noqa: E702
    assert wait_until(lambda: st.locker_core.status(conn, back.op_id).phase == "done")
    stuck = st.locker_core.staff_open(conn, "C1", reason="check", by="S001")     # nobody opens it: a fault
    assert wait_until(lambda: st.locker_core.status(conn, stuck.op_id).phase == "not_opened", timeout=3)


def district_events(st, config) -> None:
    conn = st.db()
    receive = Documents(conn, config).receive
    receive("config", json.dumps({"version": 2, "schema": 1, "settings": {"points": {"per_hour": 2}}}).encode())
    receive("roster", json.dumps({"version": 2, "schema": 1, "members": [
        {"member_id": "M001", "card_uid": MEMBER, "name": "卓玛", "role": "member", "balance": 40},
        {"member_id": "S001", "card_uid": "5A5A5A5A01", "name": "李娜", "role": "staff"}]}).encode())
    receive("catalog", json.dumps({"version": 2, "schema": 1, "goods": [
        {"id": "soap", "name": {"zh": "洗衣皂"}, "price": 5}]}).encode())
    receive("notices", json.dumps({"version": 2, "schema": 1, "notices": []}).encode())
    receive("notices", b"[" * 3000 + b"]" * 3000)                         # config.rejected
    documents.resend(conn)
    inbox.refused(conn, "c-1", None, "bad signature", code="bad_signature")
    command = inbox.Command("c-2", "printer.test", {}, "kiosk", "2999-01-01T00:00:00.000+00:00")
    assert inbox.accept(conn, command, "n" * 16) is None
    inbox.finish(conn, inbox.claim(conn, "kiosk"), "done", {"printed": True, "printer": "ok", "outcome": "printed"})
    st.printer.pull_paper()
    st.print_test_page()                                                  # printer.fault


def test_every_event_the_station_writes_is_in_the_contract_and_matches_its_schema(rig, config):
    st, hand, clock = rig
    queue_events(st)
    member_and_shop_events(st, clock)
    help_events(st)
    locker_events(st, hand, clock)
    district_events(st, config)
    written = outbox.take(st.db(), limit=10_000)
    assert contract_problems(st.db()) == []
    documented = set(event_schemas.EVENT_DATA) | {"command.result"}
    assert {e.type for e in written} == documented             # every documented type, and nothing else
    assert {name.removeprefix("Data.") for name in schemas.SCHEMAS if name.startswith("Data.")} == documented
    assert all("epoch" in e.as_message() for e in written)
    summaries = {e.data["doc"]: e.data["summary"] for e in written if e.type == "config.applied"
                 and "resent" not in e.data["summary"]}
    assert set(summaries) == set(event_schemas.SUMMARIES) - {"resent"}
    for e in written:
        if e.type == "config.applied":
            kind = "resent" if "resent" in e.data["summary"] else e.data["doc"]
            assert schemas.errors(event_schemas.SUMMARIES[kind], e.data["summary"]) == [], e.data


def test_the_contracts_lists_are_the_stations_own():
    data = event_schemas.EVENT_DATA
    assert data["ticket.issued"]["properties"]["state"]["enum"] == [s.value for s in TicketState]
    assert data["request.created"]["properties"]["preferred_time"]["enum"] == list(PREFERRED_TIMES)
    assert data["request.done"]["properties"]["outcome"]["enum"] == list(OUTCOMES)
    assert data["request.handed_back"]["properties"]["reason"]["enum"] == list(HAND_BACK_REASONS)
    assert data["config.rejected"]["properties"]["code"]["enum"] == event_schemas.REJECTED_CODES
    assert data["counter.state"]["properties"]["state"]["enum"] == [s.value for s in CounterState]


def test_a_schema_that_lacks_a_field_the_station_writes_fails_the_check(rig):
    """The check can fail: the same events against a schema without `priority` are refused."""
    st, _, _ = rig
    st.take_ticket("consult")
    [issued] = outbox.take(st.db())
    narrowed = json.loads(json.dumps(schemas.SCHEMAS["Data.ticket.issued"]))
    del narrowed["properties"]["priority"]
    narrowed["required"].remove("priority")
    assert schemas.errors(narrowed, issued.data) == ["$: unexpected 'priority'"]
