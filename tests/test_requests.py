"""Help requests core: create, dispatch, accept, done (points once), hand back, rate; every refusal."""

from __future__ import annotations

import logging
import tomllib

import pytest

from kiosk.members import ledger
from kiosk.base import outbox
from kiosk.help.desk import HelpDesk, RequestError, mask_phone

PHONE = "13812345678"


@pytest.fixture
def desk(station) -> HelpDesk:
    return station.requests


def create(desk, conn, key="k1", **kw):
    args = {"category": "repairs", "phone": PHONE, "details": ["tap"], "preferred_time": "today_pm",
            "consent": True, "key": key}
    args.update(kw)
    return desk.create(conn, **args)


def types(conn) -> list[str]:
    return [e.type for e in outbox.take(conn, limit=1000)]


def test_the_whole_life_of_a_request(desk, station, caplog):
    caplog.set_level(logging.DEBUG)
    conn = station.db()
    req = create(desk, conn)
    assert req.number == "1001" and req.state == "open" and req.phone_masked == "138****5678"
    assert create(desk, conn, key="k2").number == "1002"
    desk.dispatch(conn, req.id, "M001", points=3, note="带扳手")
    assert [t.id for t in desk.tasks_for(conn, "M001")] == [req.id]
    desk.accept(conn, req.id, "M001")
    before = ledger.balance(conn, "M001")
    done = desk.done(conn, req.id, "M001", "solved")
    assert done.state == "done" and ledger.balance(conn, "M001") == before + 3
    entry = ledger.recent(conn, "M001", 1)[0]
    assert (entry.amount, entry.reason) == (3, "help_request")
    rated = desk.rate(conn, req.id, 5)
    assert rated.rating == 5
    assert [s.kind for s in desk.timeline(conn, req.id)] == ["created", "dispatched", "accepted", "done", "rated"]
    assert types(conn) == ["request.created", "request.created", "request.dispatched", "request.accepted",
                           "request.done", "points.entry", "request.rated"]
    created = outbox.take(conn)[0].data
    assert created["phone_masked"] == "138****5678" and PHONE not in str(outbox.take(conn, limit=1000))
    assert PHONE not in caplog.text


def test_a_retried_confirm_creates_one_request(desk, station):
    conn = station.db()
    first, again = create(desk, conn), create(desk, conn)
    assert first.id == again.id and not again.new
    assert types(conn) == ["request.created"]


@pytest.mark.parametrize("phone", ["1381234567", "138123456789", "12812345678", "23812345678", "1381234567a",
                                   "138 1234 5678", "", None])
def test_an_invalid_phone_is_refused_and_not_echoed(desk, station, phone):
    with pytest.raises(RequestError) as err:
        create(desk, station.db(), phone=phone)
    assert err.value.code == "bad_phone" and (not phone or phone not in str(err.value))
    assert outbox.depth(station.db()) == 0


def test_unknown_category_detail_time_and_no_consent_are_refused(desk, station):
    conn = station.db()
    for kw, code in (({"category": "plumbing"}, "unknown_category"), ({"details": ["meals"]}, "unknown_detail"),
                     ({"preferred_time": "midnight"}, "bad_time"), ({"consent": False}, "no_consent")):
        with pytest.raises(RequestError) as err:
            create(desk, conn, **kw)
        assert err.value.code == code
    assert outbox.depth(conn) == 0 and conn.execute("SELECT COUNT(*) FROM help_requests").fetchone()[0] == 0


def refused(call, code):
    with pytest.raises(RequestError) as err:
        call()
    assert err.value.code == code


def test_a_member_it_was_not_dispatched_to_cannot_touch_it(desk, station):
    conn = station.db()
    req = create(desk, conn)
    refused(lambda: desk.accept(conn, req.id, "M001"), "not_yours")          # not dispatched at all
    desk.dispatch(conn, req.id, "M001", points=2)
    refused(lambda: desk.accept(conn, req.id, "M002"), "not_yours")
    refused(lambda: desk.hand_back(conn, req.id, "M002", "no_time"), "not_yours")
    desk.accept(conn, req.id, "M001")
    refused(lambda: desk.done(conn, req.id, "M002", "solved"), "not_yours")
    assert desk.get(conn, req.id).state == "accepted"


def test_accept_twice_done_before_accept_done_twice(desk, station):
    conn = station.db()
    req = create(desk, conn)
    desk.dispatch(conn, req.id, "M001", points=2)
    refused(lambda: desk.done(conn, req.id, "M001", "solved"), "not_accepted")
    desk.accept(conn, req.id, "M001")
    refused(lambda: desk.accept(conn, req.id, "M001"), "already_accepted")
    desk.done(conn, req.id, "M001", "partly")
    balance = ledger.balance(conn, "M001")
    refused(lambda: desk.done(conn, req.id, "M001", "solved"), "already_done")
    refused(lambda: desk.accept(conn, req.id, "M001"), "already_done")
    refused(lambda: desk.dispatch(conn, req.id, "M002", points=5), "already_done")
    assert ledger.balance(conn, "M001") == balance
    assert types(conn).count("points.entry") == 1 and types(conn).count("request.accepted") == 1


def test_rating_before_done_twice_and_out_of_range(desk, station):
    conn = station.db()
    req = create(desk, conn)
    refused(lambda: desk.rate(conn, req.id, 4), "not_done")
    desk.dispatch(conn, req.id, "M001")
    desk.accept(conn, req.id, "M001")
    desk.done(conn, req.id, "M001", "solved")
    for stars in (0, 6, "5", True):
        refused(lambda: desk.rate(conn, req.id, stars), "bad_stars")
    desk.rate(conn, req.id, 4)
    refused(lambda: desk.rate(conn, req.id, 5), "already_rated")
    assert desk.get(conn, req.id).rating == 4 and types(conn).count("request.rated") == 1
    assert types(conn).count("points.entry") == 0          # dispatched for 0 points: no entry


def test_hand_back_opens_it_for_another_member(desk, station):
    conn = station.db()
    req = create(desk, conn)
    desk.dispatch(conn, req.id, "M001", points=2)
    desk.accept(conn, req.id, "M001")
    refused(lambda: desk.hand_back(conn, req.id, "M001", "because"), "bad_reason")
    back = desk.hand_back(conn, req.id, "M001", "cannot_reach")
    assert back.state == "open" and back.member_id is None and desk.tasks_for(conn, "M001") == []
    desk.dispatch(conn, req.id, "M003", points=2)
    assert [t.id for t in desk.tasks_for(conn, "M003")] == [req.id]
    refused(lambda: desk.accept(conn, req.id, "M001"), "not_yours")
    assert [s.kind for s in desk.timeline(conn, req.id)] == ["created", "dispatched", "accepted", "handed_back",
                                                             "dispatched"]


def test_a_redelivered_dispatch_changes_nothing_and_bad_dispatches_are_refused(desk, station):
    conn = station.db()
    req = create(desk, conn)
    desk.dispatch(conn, req.id, "M001", points=2)
    assert not desk.dispatch(conn, req.id, "M001", points=2).new
    assert types(conn).count("request.dispatched") == 1
    refused(lambda: desk.dispatch(conn, req.id, "M404", points=2), "unknown_member")
    refused(lambda: desk.dispatch(conn, req.id, "S001", points=2), "unknown_member")     # staff take no tasks
    refused(lambda: desk.dispatch(conn, req.id, "M001", points=-1), "bad_points")
    refused(lambda: desk.dispatch(conn, "no-such-id", "M001"), "not_found")
    desk.accept(conn, req.id, "M001")
    refused(lambda: desk.dispatch(conn, req.id, "M002"), "already_accepted")


def test_find_by_number_and_masking():
    assert mask_phone("13912345678") == "139****5678"


def test_find_by_number(desk, station):
    conn = station.db()
    req = create(desk, conn)
    assert desk.find(conn, "1001").id == req.id
    refused(lambda: desk.find(conn, "9999"), "not_found")


def test_help_categories_in_the_config_are_checked(config_path):
    from kiosk import config as cfg
    from kiosk.base.errors import ConfigError

    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(text + '\n[[help.categories]]\nid = "repairs"\nname = "重复"\ncolour = "red"\n'
                           '[[help.categories.details]]\nid = "Bad Id"\ntext = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        cfg.load(config_path)
    message = str(err.value)
    added = len(tomllib.loads(text)["help"]["categories"])            # the index of the one appended
    assert 'help.categories: id "repairs" appears twice' in message
    assert f"help.categories[{added}].colour: is not a known key" in message
    assert f'help.categories[{added}].details[0].id: found "Bad Id"' in message
