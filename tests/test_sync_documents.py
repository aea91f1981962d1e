"""The district's retained documents over a real mosquitto: applied once if newer and valid, else refused."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import wait_until
from linked import Linked, snapshot
from mosquitto import Broker

from kiosk.district import documents
from kiosk.members import ledger, cards
from kiosk.shop import supermarket
from sync import schemas

NOW = datetime.now(timezone.utc)


def iso(delta_days: float) -> str:
    return (NOW + timedelta(days=delta_days)).isoformat(timespec="seconds")


CONFIG = {"version": 3, "schema": 1, "settings": {
    "services": [{"id": "legal", "prefix": "L", "name": {"zh": "法律咨询", "en": "Legal advice"},
                  "average_minutes": 20, "counters": ["1"]}],
    "points": {"new_member": 15, "per_hour": 2},
}}
ROSTER = {"version": 7, "schema": 1, "members": [                 # balances as of the acknowledged seq
    {"member_id": "M001", "card_uid": "0A1B2C3D4E", "name": "卓玛", "role": "member", "grid": "grid-1", "balance": 42},
    {"member_id": "M009", "card_uid": "77AA88BB99", "name": "次仁", "role": "volunteer", "grid": "grid-3"},
    {"member_id": "S001", "card_uid": "5A5A5A5A01", "name": "李娜", "role": "staff"},
]}
CATALOG = {"version": 2, "schema": 1, "goods": [
    {"id": "soap", "name": {"zh": "洗衣皂", "en": "Soap"}, "price": 6},
    {"id": "noodles", "name": {"zh": "挂面", "bo": "རྒྱ་ཐུག", "en": "Noodles"}, "price": 4, "limit_qty": 3,
     "limit_period": "week"},
]}
NOTICES = {"version": 1, "schema": 1, "notices": [
    {"id": "n1", "title": {"zh": "停水通知", "en": "Water cut"}, "body": {"zh": "周三停水", "en": "No water Wednesday"},
     "valid_from": iso(-1), "valid_until": iso(2)},
    {"id": "n2", "title": {"zh": "旧通知"}, "body": {"zh": "已过期"}, "valid_from": iso(-5), "valid_until": iso(-4)},
    {"id": "n3", "title": {"zh": "下周"}, "body": {"zh": "还没开始"}, "valid_from": iso(6), "valid_until": iso(9)},
]}


@pytest.fixture
def linked(tmp_path: Path, broker: Broker):
    link = Linked(tmp_path / "station", broker)
    yield link
    link.close()


def outcome(linked: Linked, type_: str, doc: str, count: int = 1) -> list[dict]:
    assert wait_until(lambda: len([e for e in linked.events(type_) if e["data"]["doc"] == doc]) >= count, 10), \
        f"no {type_} for {doc}"
    return [e["data"] for e in linked.events(type_) if e["data"]["doc"] == doc]


def test_each_valid_document_is_applied_and_the_kiosk_core_sees_it(linked: Linked):
    st, conn = linked.station, linked.db()
    linked.pen.document("config", CONFIG)
    linked.pen.document("roster", ROSTER)
    linked.pen.document("catalog", CATALOG)
    linked.pen.document("notices", NOTICES)
    for doc, version in (("config", 3), ("roster", 7), ("catalog", 2), ("notices", 1)):
        assert outcome(linked, "config.applied", doc)[0]["version"] == version
    # config: the district's service is offered at once, no restart
    assert [s.id for s in st.config.services] == ["legal"]
    assert st.config.points.per_hour == 2 and st.config.station.id == "demo-barkor-01"
    assert st.take_ticket("legal").issued.ticket.number == "L001"
    # roster: new card known, member gone from the roster deactivated, district balance as the snapshot
    assert cards.find_by_card(conn, "77AA88BB99").name == "次仁"
    assert cards.find_by_card(conn, "0A00C0FFEE") is None                 # M002 not in the roster
    assert ledger.balance(conn, "M001") == 42
    assert ledger.balance(conn, "M009") == 15                               # seed of the config in force
    # catalog: prices from the district, goods not listed off offer, stock untouched
    goods = {g.id: g for g in supermarket.catalog(conn)}
    assert set(goods) == {"soap", "noodles"} and goods["soap"].price == 6 and goods["soap"].stock == 40
    assert goods["noodles"].limit_qty == 3 and goods["noodles"].name["bo"] == "རྒྱ་ཐུག"
    # notices: only the current one, with its texts and dates
    shown = documents.notices(conn)
    assert [(n.id, n.title["en"], n.body["zh"]) for n in shown] == [("n1", "Water cut", "周三停水")]
    assert shown[0].valid_until > datetime.now(timezone.utc)


def test_a_retained_document_delivered_again_is_not_applied_twice(linked: Linked, broker: Broker):
    linked.pen.document("catalog", CATALOG)
    outcome(linked, "config.applied", "catalog")
    broker.stop()
    broker.start()                                            # the station reconnects and gets the retained copy
    births = lambda: [p for _, p, _ in linked.district.status if p.get("online")]   # noqa: E731
    assert wait_until(lambda: len(births()) >= 2, 20)
    linked.pen.document("catalog", CATALOG)
    linked.pen.document("notices", NOTICES)                   # a marker that the catalog copy was handled
    outcome(linked, "config.applied", "notices")
    assert len(outcome(linked, "config.applied", "catalog")) == 1
    assert [e["data"]["doc"] for e in linked.events("config.rejected")] == []


DEEP = b"[" * 3000 + b"]" * 3000
BAD = [
    ("malformed JSON", "roster", b'{"version": 9, "schema": 1, "members": [', "not UTF-8 JSON", "not_json"),
    ("not UTF-8", "notices", b"\xff\xfe{}", "not UTF-8 JSON", "not_json"),
    ("wrong types", "catalog", json.dumps({"version": "9", "schema": 1, "goods": [{"id": "x", "name": "x",
                                                                                   "price": "5"}]}).encode(),
     "$.version: expected integer", "invalid"),
    ("negative price", "catalog", json.dumps({"version": 9, "schema": 1, "goods": [
        {"id": "x", "name": {"zh": "x"}, "price": -5}]}).encode(), "expected at least 1", "invalid"),
    ("oversized", "notices", b'{"version": 9, "schema": 1, "notices": [], "x": "' + b"y" * (1024 * 1024) + b'"}',
     "more than the 1048576 allowed", "too_large"),
    ("unknown schema version", "config", json.dumps({"version": 9, "schema": 2, "settings": {}}).encode(),
     "unknown schema version 2", "unknown_schema"),
    ("stale version", "config", json.dumps({**CONFIG, "version": 2}).encode(),
     "version 2 is not newer than the applied version 3", "stale"),
    ("same version, other content", "config",
     json.dumps({**CONFIG, "settings": {"points": {"per_hour": 5}}}).encode(), "not newer", "stale"),
    ("config the station.toml reader refuses", "config", json.dumps({"version": 9, "schema": 1, "settings": {
        "queue": {"hours": ["18:00-08:00"]}, "points": {"per_hour": 1000}}}).encode(),
     "settings.points.per_hour: found 1000, expected a number from 0 to 100", "rules"),
    ("roster with a card twice", "roster", json.dumps({"version": 9, "schema": 1, "members": [
        {"member_id": "A1", "card_uid": "ABCD1234", "name": "甲", "role": "member"},
        {"member_id": "A2", "card_uid": "abcd1234", "name": "乙", "role": "member"}]}).encode(), "appears twice",
     "rules"),
    ("roster with an unknown field", "roster", json.dumps({"version": 9, "schema": 1, "members": [
        {"member_id": "A1", "name": "甲", "role": "member", "points": 5}]}).encode(), "unexpected 'points'",
     "invalid"),
    ("notice ending before it starts", "notices", json.dumps({"version": 9, "schema": 1, "notices": [
        {"id": "a", "title": {"zh": "t"}, "body": {"zh": "b"}, "valid_from": iso(1), "valid_until": iso(0)}]}).encode(),
     "valid_until is not after valid_from", "rules"),
    *[(f"{doc} nested 3,000 deep", doc, b'{"version": 9, "schema": 1, "x": ' + DEEP + b"}", "nested deeper",
       "too_deep") for doc in schemas.DOCUMENTS],
    ("a bare array 3,000 deep", "catalog", DEEP, "nested deeper", "too_deep"),
    ("version 2^63", "config", json.dumps({**CONFIG, "version": 2**63}).encode(),
     "expected at most 9223372036854775807", "invalid"),
    ("version 1e300", "notices", b'{"version": 1e300, "schema": 1, "notices": []}', "expected at most", "invalid"),
    ("as_of_seq 2^63", "roster", json.dumps({**ROSTER, "version": 9, "as_of_seq": 2**63}).encode(),
     "expected at most 9223372036854775807", "invalid"),
    ("as_of_seq beyond the station's events", "roster", json.dumps({**ROSTER, "version": 9,
                                                                   "as_of_seq": 10**9}).encode(),
     "beyond the last event this station wrote", "rules"),
]


@pytest.mark.parametrize("what,doc,payload,reason,code", BAD, ids=[b[0] for b in BAD])
def test_a_bad_document_is_rejected_with_its_reason_and_changes_nothing(linked: Linked, what, doc, payload, reason,
                                                                         code):
    linked.pen.document("config", CONFIG)                       # the last good one, in force
    outcome(linked, "config.applied", "config")
    st, conn = linked.station, linked.db()
    before = snapshot(conn)
    linked.pen.document(doc, payload)
    rejected = outcome(linked, "config.rejected", doc)[0]
    assert any(reason in r for r in rejected["reasons"]) and rejected["code"] == code, rejected
    assert rejected["version"] in (None, 2, 3, 9) and schemas.errors(schemas.SCHEMAS["Data.config.rejected"], rejected) == []
    assert snapshot(conn) == before
    assert documents.applied_version(conn, "config") == 3
    assert [s.id for s in st.config.services] == ["legal"] and st.config.points.per_hour == 2


def test_a_config_document_may_carry_the_help_categories(linked: Linked):
    """The README's example: the `help` section of the district config, read as station.toml's [help]."""
    help_section = {"categories": [{"id": "legal", "name": {"zh": "法律咨询"}, "details": [
        {"id": "contract", "text": {"zh": "合同"}}]}]}
    linked.pen.document("config", {"version": 4, "schema": 1, "settings": {"help": help_section}})
    applied = outcome(linked, "config.applied", "config")[0]
    assert applied["summary"] == {"sections": ["help"]}
    assert [c.id for c in linked.station.config.help.categories] == ["legal"]


def test_the_documents_size_cap_is_the_schemas():
    assert schemas.MAX_DOCUMENT_BYTES == 1024 * 1024


def test_a_resumed_session_is_not_asked_to_subscribe_again_and_still_brings_the_documents(
        linked: Linked, broker: Broker, caplog: pytest.LogCaptureFixture):
    """The broker kept the station's session (mosquitto's persistence) across its own restart: the station
    does not subscribe again (a NATS node would make each subscription a new JetStream consumer), and a
    document published after the restart still reaches it through the kept subscriptions. The restart is
    `systemctl restart`, which saves the sessions as mosquitto stops; after a kill -9 only what its last
    autosave held is kept."""
    caplog.set_level(logging.INFO, logger="sync")              # the fixture's station has subscribed already
    linked.pen.document("catalog", CATALOG)
    outcome(linked, "config.applied", "catalog")
    broker.stop()
    broker.start()
    assert wait_until(lambda: "(resumed)" in caplog.text, 30), caplog.text
    linked.pen.document("notices", NOTICES)
    outcome(linked, "config.applied", "notices")
    assert "subscribing to" not in caplog.text, caplog.text
