"""Signed district commands over a real mosquitto: verified, run by the right process, answered on cmd/{id}/result."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import print_outcome, wait_until
from linked import KEY, STATION, Linked, snapshot
from mosquitto import Broker

from kiosk.district import inbox
from sync import signing


@pytest.fixture
def linked(tmp_path: Path, broker: Broker):
    link = Linked(tmp_path / "station", broker)
    yield link
    link.close()


def answer(linked: Linked, command_id: str, timeout: float = 15) -> dict:
    assert wait_until(lambda: linked.pen.result(command_id) is not None, timeout), f"no result for {command_id}"
    return linked.pen.result(command_id)


def reported(linked: Linked, command_id: str) -> dict:
    assert wait_until(lambda: any(e["data"]["id"] == command_id for e in linked.events("command.result")), 10)
    return next(e["data"] for e in linked.events("command.result") if e["data"]["id"] == command_id)


def test_a_remote_locker_open_is_run_by_the_kiosk_through_the_inbox(linked: Linked):
    slot = linked.station.lockers.slot_ids[0]
    command_id = linked.pen.command("locker.open", {"slot": slot, "reason": "umbrella stuck"})
    result = answer(linked, command_id)
    assert result["status"] == "done" and result["name"] == "locker.open"
    assert result["result"] == {"slot": slot, "outcome": "opened"}
    assert linked.station.lockers.relay_pulses(slot) == 1
    assert reported(linked, command_id)["status"] == "done"
    assert wait_until(lambda: inbox.get(linked.db(), command_id)["published"], 5)
    assert inbox.get(linked.db(), command_id)["runs_in"] == "kiosk"
    assert wait_until(lambda: [e["data"] for e in linked.events("locker.opened")], 5)
    opened = [e["data"] for e in linked.events("locker.opened")]
    assert opened[0]["by"] == "district" and opened[0]["reason"] == "umbrella stuck"


def test_queue_reset_day_ends_todays_waiting_tickets_which_stay_recorded(linked: Linked):
    taken = [linked.station.take_ticket("consult").issued.ticket for _ in range(3)]
    result = answer(linked, linked.pen.command("queue.reset_day"))
    assert result["status"] == "done" and result["result"]["ended"] == 3
    conn = linked.db()
    states = [linked.station.queue.get(conn, t.id).state.value for t in taken]
    assert states == ["cancelled"] * 3
    assert wait_until(lambda: len([e for e in linked.events("ticket.cancelled")
                                   if e["data"].get("reason") == "reset_day"]) == 3, 10)


def test_events_replay_sends_again_from_the_given_seq(linked: Linked):
    conn = linked.db()
    for _ in range(5):
        linked.station.take_ticket("consult")
    last = conn.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    assert wait_until(lambda: any(e["seq"] == last for e in linked.district.arrivals), 10)
    linked.district.acking = False                       # keep them in the outbox so they can go again
    for _ in range(3):
        linked.station.take_ticket("consult")
    newest = conn.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    assert wait_until(lambda: sum(e["seq"] == newest for e in linked.district.arrivals) == 1, 10)
    before = len(linked.district.arrivals)
    result = answer(linked, linked.pen.command("events.replay", {"from_seq": newest - 1}))
    assert result["status"] == "done" and result["result"]["from_seq"] == newest - 1
    assert wait_until(lambda: sum(e["seq"] == newest for e in linked.district.arrivals) >= 2, 10)
    again = [e["seq"] for e in linked.district.arrivals[before:]]
    assert newest - 1 in again and newest - 2 not in again
    assert linked.district.mismatches == []


def test_diagnostics_and_config_resend_answer_from_the_sync_process(linked: Linked):
    linked.pen.document("notices", {"version": 4, "schema": 1, "notices": []})
    assert wait_until(lambda: any(e["data"]["doc"] == "notices" for e in linked.events("config.applied")), 10)
    diag = answer(linked, linked.pen.command("diagnostics"))["result"]
    assert diag["versions"]["documents"]["notices"]["version"] == 4 and diag["versions"]["schema"] >= 9
    assert "printer" in diag["devices"] and "load" in diag["host"]
    resent = answer(linked, linked.pen.command("config.resend"))
    assert resent["result"]["documents"]["notices"]["version"] == 4
    assert wait_until(lambda: sum(e["data"]["doc"] == "notices" for e in linked.events("config.applied")) == 2, 10)


def _cmd(name: str = "locker.open", args: dict | None = None, **fields) -> dict:
    return {**signing.command(STATION, name, {"slot": "U1", "reason": "x"} if args is None else args), **fields}


def _now(delta_s: float) -> str:
    return signing.rfc3339(datetime.now(timezone.utc) + timedelta(seconds=delta_s))


BAD = [
    ("unsigned", lambda c: json.dumps(c).encode(), "not a signed command", "not_signed"),
    ("malformed JSON", lambda c: b'{"command": "{", "hmac"', "not a signed command", "not_signed"),
    ("bad signature", lambda c: signing.envelope(b"another-key-of-sixteen-bytes", c), "bad signature",
     "bad_signature"),
    ("signature of other bytes", lambda c: json.dumps({"command": json.dumps(c) + " ",
                                                       "hmac": json.loads(signing.envelope(KEY, c))["hmac"]}).encode(),
     "bad signature", "bad_signature"),
    ("oversized", lambda c: signing.envelope(KEY, {**c, "args": {"slot": "U1", "reason": "x" * 9000}}),
     "more than the 8192 allowed", "too_large"),
    ("expired", lambda c: signing.envelope(KEY, {**c, "ts": _now(-600), "expires": _now(-1)}), "expired at",
     "expired"),
    ("living too long", lambda c: signing.envelope(KEY, {**c, "expires": _now(3 * 86400)}), "more than 24 h",
     "too_long_lived"),
    ("dated in the future", lambda c: signing.envelope(KEY, {**c, "ts": _now(3600), "expires": _now(3900)}),
     "ahead of the station's clock", "from_the_future"),
    ("not on the list", lambda c: signing.envelope(KEY, {**c, "name": "shell.exec", "args": {}}),
     "'shell.exec' is not on this station's list", "not_allowed"),
    ("bad args", lambda c: signing.envelope(KEY, {**c, "args": {"slot": 1, "reason": "x"}}), "bad args", "bad_args"),
    ("extra args", lambda c: signing.envelope(KEY, {**c, "args": {"slot": "U1", "reason": "x", "all": True}}),
     "bad args", "bad_args"),
    ("wrong types", lambda c: signing.envelope(KEY, {**c, "nonce": 12345678901234567}), "malformed command",
     "malformed"),
    ("another station", lambda c: signing.envelope(KEY, {**c, "station": "other-01"}), "meant for station",
     "wrong_station"),
    ("nested 3,000 deep", lambda c: b"[" * 3000 + b"]" * 3000, "nested deeper", "not_signed"),
    ("signed args nested 2,000 deep", lambda c: _signed_with_deep_args(c, 2000), "nested deeper", "malformed"),
]


@pytest.mark.parametrize("length", [65, 300])
def test_a_command_id_over_64_characters_is_refused_and_answered_on_its_own_topic(linked: Linked, length: int):
    command_id = "c" * length
    cmd = _cmd(id=command_id)
    linked.pen.raw(command_id, signing.envelope(KEY, cmd))
    result = answer(linked, command_id)                       # on cmd/{the whole id}/result
    assert result["status"] == "refused" and result["code"] == "bad_id" and result["id"] == command_id
    assert "1 to 64" in result["reason"]
    assert linked.pen.result(command_id[:64]) is None         # not on the topic of its first 64 characters
    assert linked.station.lockers.relay_pulses(linked.station.lockers.slot_ids[0]) == 0


def _signed_with_deep_args(cmd: dict, depth: int) -> bytes:
    """A well-signed command whose args hold an array nested `depth` deep (json.dumps itself cannot write it)."""
    text = json.dumps({**cmd, "args": {"slot": "U1", "reason": "DEEP"}}, separators=(",", ":"))
    text = text.replace('"DEEP"', "[" * depth + "]" * depth)
    return json.dumps({"command": text, "hmac": signing.mac(KEY, text.encode())}).encode()


@pytest.mark.parametrize("what,make,reason,code", BAD, ids=[b[0] for b in BAD])
def test_a_bad_command_is_refused_reported_and_never_run(linked: Linked, what, make, reason, code):
    conn, slot = linked.db(), linked.station.lockers.slot_ids[0]
    taken = linked.station.take_ticket("consult")
    print_outcome(linked.station, taken.issued.ticket.id)     # the print worker is done with it
    before = snapshot(conn)
    cmd = _cmd(args={"slot": slot, "reason": "x"})
    linked.pen.raw(cmd["id"], make(cmd))
    result = answer(linked, cmd["id"])
    assert result["status"] == "refused" and reason in result["reason"] and result["code"] == code, result
    assert reported(linked, cmd["id"])["status"] == "refused"
    assert snapshot(conn) == before
    assert linked.station.lockers.relay_pulses(slot) == 0


def test_a_replayed_command_is_refused_and_runs_once(linked: Linked):
    slot = linked.station.lockers.slot_ids[0]
    cmd = _cmd(args={"slot": slot, "reason": "x"})
    payload = signing.envelope(KEY, cmd)
    linked.pen.raw(cmd["id"], payload)
    assert answer(linked, cmd["id"])["status"] == "done"
    # the sync process marks the result published just after it leaves: compare from then on
    assert wait_until(lambda: linked.db().execute("SELECT published FROM inbox WHERE id = ?",
                                                  (cmd["id"],)).fetchone()[0] == 1, 10)
    before = snapshot(linked.db())
    linked.pen.raw(cmd["id"], payload)                                    # the same bytes again
    again = {**cmd, "id": "other-id-0001"}                                # the same nonce under another id
    linked.pen.raw(again["id"], signing.envelope(KEY, again))
    assert wait_until(lambda: len(linked.pen.results.get(cmd["id"], [])) == 2, 10)
    assert linked.pen.results[cmd["id"]][1]["status"] == "refused"
    assert "replayed" in linked.pen.results[cmd["id"]][1]["reason"]
    assert "replayed" in answer(linked, again["id"])["reason"]
    assert snapshot(linked.db()) == before
    assert linked.station.lockers.relay_pulses(slot) == 1


def test_without_a_command_key_every_command_is_refused(tmp_path: Path, broker: Broker):
    link = Linked(tmp_path / "station", broker, key=None)
    try:
        before = snapshot(link.db())
        command_id = link.pen.command("diagnostics")
        assert "no command key" in answer(link, command_id)["reason"]
        assert snapshot(link.db()) == before
    finally:
        link.close()


def test_vstation_sign_command_prints_a_topic_and_payload_the_station_accepts(tmp_path: Path):
    from conftest import vstation
    from kiosk import demo
    from sync import commands

    (tmp_path / "command.key").write_bytes(KEY + b"\n")
    path = demo.write_config(tmp_path)
    done = vstation("--config", str(path), "sign-command", "locker.open", '{"slot": "U1", "reason": "test"}',
                    "--key-file", str(tmp_path / "command.key"))
    assert done.returncode == 0, done.stderr
    topic, payload = done.stdout.splitlines()
    command, _ = commands.verify(payload.encode(), key=KEY, station=STATION, topic_id=topic.rsplit("/", 1)[1])
    assert (command.name, command.args, command.runs_in) == ("locker.open", {"slot": "U1", "reason": "test"}, "kiosk")
    refused = vstation("--config", str(path), "sign-command", "diagnostics", "[1]", "--key-file", str(tmp_path / "command.key"))
    assert refused.returncode == 2 and "JSON object" in refused.stderr
