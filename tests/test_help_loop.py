"""The whole help-request loop across a real mosquitto, with a district stand-in.

A resident asks at the kiosk → the district sees `request.created` and sends
the signed command `request.dispatch` → the member taps their card on an
RDM6300 reader (a real pty) and accepts and finishes the task at the screen →
the district sees the points entry → the resident rates it. The phone number
appears in no log line and in no event.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from conftest import wait_until
from linked import Linked
from mosquitto import Broker
from test_help_web import PHONE, ask
from test_web import csrf_token

from drivers.card_frames import rdm6300_frame

MEMBER = "0A1B2C3D4E"                      # 卓玛, M001


class Loop(Linked):
    """One station linked to the district (tests/linked.py), its card reader an rdm6300 on a pty."""

    def __init__(self, folder: Path, broker: Broker) -> None:
        folder.mkdir(parents=True)
        self.master, self.slave = os.openpty()
        reader = (f'[card_reader]\nkind = "rdm6300"\ndevice = "{os.ttyname(self.slave)}"\n'
                  'debounce_seconds = 0.5')
        super().__init__(folder, broker, edit=lambda text: text.replace('[card_reader]\nkind = "sim"', reader))
        assert wait_until(lambda: self.station.reader.state.value == "ok", timeout=5)
        from kiosk.web import create_app

        self.client = create_app(self.station, test_config={"TESTING": True}).test_client()

    def close(self) -> None:
        super().close()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def loop(tmp_path: Path, broker: Broker):
    running = Loop(tmp_path / "station", broker)
    yield running
    running.close()


def arrived(loop: Loop, type_: str, count: int = 1) -> list[dict]:
    assert wait_until(lambda: len(loop.events(type_)) >= count, 15), f"the district got no {type_}"
    return loop.events(type_)


def test_asked_dispatched_taken_done_paid_and_rated(loop, caplog):
    caplog.set_level(logging.DEBUG)
    client = loop.client
    request_id = ask(client, category="elder-care", details=("meals", "visit"), time="tomorrow_am")
    created = arrived(loop, "request.created")[0]["data"]
    assert created["request_id"] == request_id and created["phone_masked"] == "138****5678"

    command_id = loop.pen.command("request.dispatch", {"request_id": request_id, "member_id": "M001",
                                                       "points": 3, "note": "老人腿脚不便"})
    assert wait_until(lambda: loop.pen.result(command_id) is not None, 15)
    assert loop.pen.result(command_id)["status"] == "done"
    assert arrived(loop, "request.dispatched")[0]["data"] == {"request_id": request_id, "member_id": "M001",
                                                              "points": 3}

    with loop.station.bus.subscribe() as screen:
        os.write(loop.master, rdm6300_frame(MEMBER) * 3)              # the member's card, held on the reader
        notice = screen.get(timeout=5)
    assert notice.data["name"] == "卓玛" and notice.data["tasks"] == 1
    tasks = client.get(f"/tasks/?tap={notice.data['tap']}").get_data(as_text=True)   # the greeting's link
    assert PHONE in tasks and "老人腿脚不便" in tasks and "代买饭菜" in tasks
    token = csrf_token(client)
    client.post(f"/tasks/{request_id}/accept", data={"csrf_token": token})
    client.post(f"/tasks/{request_id}/done", data={"csrf_token": token, "choice": "solved"})
    assert arrived(loop, "request.accepted")[0]["data"]["member_id"] == "M001"
    assert arrived(loop, "request.done")[0]["data"]["outcome"] == "solved"
    entry = [e["data"] for e in arrived(loop, "points.entry") if e["data"]["reason"] == "help_request"]
    assert len(entry) == 1 and entry[0]["amount"] == 3 and entry[0]["member_id"] == "M001"

    again = loop.pen.command("request.dispatch", {"request_id": request_id, "member_id": "M002", "points": 5})
    assert wait_until(lambda: loop.pen.result(again) is not None, 15)
    assert loop.pen.result(again)["status"] == "failed"                 # a done request stays with its member

    rated = client.post(f"/help/r/{request_id}/rate", data={"csrf_token": token, "stars": "5"}, follow_redirects=True)
    assert rated.status_code == 200
    assert arrived(loop, "request.rated")[0]["data"] == {"request_id": request_id, "member_id": "M001", "stars": 5}
    assert len(loop.events("request.done")) == 1 and len(loop.events("request.accepted")) == 1

    with loop.district.lock:
        everything = json.dumps(list(loop.district.events.values()), ensure_ascii=False)
    assert PHONE not in everything
    assert caplog.records and PHONE not in caplog.text
