"""Help requests at the screens: ask step by step, the printed slip, follow up, rate; a member's tasks."""

from __future__ import annotations

import re

from conftest import next_notice, print_outcome
from test_web import csrf_token

from drivers import paper
from kiosk.members import ledger
from kiosk.base import outbox

PHONE = "13812345678"
MEMBER, OTHER = "0A1B2C3D4E", "0A00C0FFEE"     # 卓玛 (M001), 扎西 (M002)


def step(client, **fields):
    data = {"csrf_token": csrf_token(client), **fields}
    return client.post("/help/ask", data=data)


def ask(client, category="repairs", phone=PHONE, details=("tap",), time="today_pm"):
    """Walk the resident's steps; return the request id from the slip screen."""
    answers = {"category": category, "phone": phone, "details": list(details), "details_done": "1", "time": time,
               "consent": "yes"}
    page = step(client, **answers).get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    done = client.post("/help/submit", data={"csrf_token": csrf_token(client), "key": key, **answers})
    assert done.status_code == 302
    return done.headers["Location"].split("/")[3]


def test_each_step_asks_for_the_next_missing_answer(client):
    assert "居家养老" in client.get("/help/").get_data(as_text=True)
    assert "请输入您的手机号码" in step(client, category="repairs").get_data(as_text=True)
    details = step(client, category="repairs", phone=PHONE).get_data(as_text=True)
    assert "水龙头漏水" in details and PHONE in details          # carried in the form, not in a cookie
    assert "今天下午" in step(client, category="repairs", phone=PHONE, details_done="1").get_data(as_text=True)
    consent = step(client, category="repairs", phone=PHONE, details_done="1", time="today_pm").get_data(as_text=True)
    assert "可以把您的电话告诉接单的党员吗" in consent
    confirm = step(client, category="repairs", phone=PHONE, details="tap", details_done="1", time="today_pm",
                   consent="yes").get_data(as_text=True)
    assert "138****5678" in confirm and "水龙头漏水" in confirm


def test_asking_prints_a_slip_with_the_number_and_a_qr(client, station):
    request_id = ask(client)
    assert print_outcome(station, request_id).state.value == "printed"
    slip = client.get(f"/help/r/{request_id}/slip").get_data(as_text=True)
    assert "1001" in slip and "请取走打印出来的求助单" in slip
    printed = paper.text_of(station.printer.jobs[-1])
    assert "1001" in printed and "水龙头漏水" in printed and "138****5678" in printed and PHONE not in printed
    assert paper.qr_payloads(station.printer.jobs[-1]) == [f"vstation:request:{request_id}"]
    assert [e.type for e in outbox.take(station.db())] == ["request.created"]


def test_a_retried_confirm_asks_once(client, station):
    answers = {"category": "legal", "phone": PHONE, "details": ["wages"], "details_done": "1", "time": "this_week",
               "consent": "yes"}
    key = re.search(r'name="key" value="([^"]+)"', step(client, **answers).get_data(as_text=True)).group(1)
    for _ in range(2):
        client.post("/help/submit", data={"csrf_token": csrf_token(client), "key": key, **answers})
    assert [e.type for e in outbox.take(station.db())] == ["request.created"]
    print_outcome(station, station.requests.find(station.db(), "1001").id)
    assert len(station.printer.jobs) == 1


def test_an_invalid_phone_is_asked_again_with_the_reason(client, station):
    for bad in ("1381234567", "12345678901", "138123456789"):
        page = step(client, category="repairs", phone=bad)
        assert page.status_code == 400 and "手机号码不对" in page.get_data(as_text=True)
    submit = client.post("/help/submit", data={"csrf_token": csrf_token(client), "key": "k", "category": "repairs",
                                               "phone": "1234", "time": "today_pm", "consent": "yes"})
    assert submit.status_code == 400 and "手机号码不对" in submit.get_data(as_text=True)
    assert outbox.depth(station.db()) == 0


def test_unknown_category_and_tampered_detail_are_refused(client, station):
    page = step(client, category="plumbing")
    assert page.status_code == 404 and "没有这类求助" in page.get_data(as_text=True)
    tampered = step(client, category="repairs", phone=PHONE, details="meals", details_done="1")
    assert tampered.status_code == 400 and "请从列出的选项里选择" in tampered.get_data(as_text=True)
    assert outbox.depth(station.db()) == 0


def test_follow_up_by_number_shows_the_timeline_masked(client, station):
    request_id = ask(client)
    found = client.post("/help/find", data={"csrf_token": csrf_token(client), "number": "1001"})
    assert found.headers["Location"].endswith(f"/help/r/{request_id}")
    station.requests.dispatch(station.db(), request_id, "M001", points=2)
    page = client.get(f"/help/r/{request_id}").get_data(as_text=True)
    assert "社区已派单给党员" in page and "卓*" in page and "卓玛" not in page
    assert "138****5678" in page and PHONE not in page
    missing = client.post("/help/find", data={"csrf_token": csrf_token(client), "number": "4040"})
    assert missing.status_code == 404 and "没有找到这个求助号" in missing.get_data(as_text=True)


def tap(client, card, uid):
    """A member taps on the resident screens and opens the tasks link that comes with the greeting."""
    return client.get(f"/tasks/?tap={card.tap(uid)}").get_data(as_text=True)


def test_member_sees_accepts_and_finishes_a_task(client, station, card):
    request_id = ask(client)
    station.requests.dispatch(station.db(), request_id, "M001", points=3, note="带扳手")
    with station.bus.subscribe() as screen:
        tasks = tap(client, card, MEMBER)
        notice = next_notice(screen, "card")
    assert notice.data["tasks"] == 1
    assert "求助号 1001" in tasks and PHONE in tasks and "带扳手" in tasks and "刚刚" in tasks
    token = csrf_token(client)
    assert "已接单" in client.get(client.post(f"/tasks/{request_id}/accept", data={"csrf_token": token})
                                 .headers["Location"]).get_data(as_text=True)
    again = client.get(client.post(f"/tasks/{request_id}/accept", data={"csrf_token": token})
                       .headers["Location"]).get_data(as_text=True)
    assert "您已经接过这个任务了" in again
    assert "已解决" in client.get(f"/tasks/{request_id}/done").get_data(as_text=True)
    before = ledger.balance(station.db(), "M001")
    client.post(f"/tasks/{request_id}/done", data={"csrf_token": token, "choice": "solved"})
    client.post(f"/tasks/{request_id}/done", data={"csrf_token": token, "choice": "solved"})
    assert ledger.balance(station.db(), "M001") == before + 3
    after = client.get("/tasks/").get_data(as_text=True)
    assert "这个任务已经办结了" in after and PHONE not in after and "138****5678" in after
    status = client.get(f"/help/r/{request_id}").get_data(as_text=True)
    assert "已办结" in status and "您对这次帮助满意吗" in status
    rated = client.post(f"/help/r/{request_id}/rate", data={"csrf_token": token, "stars": "5"}, follow_redirects=True)
    assert "谢谢您的评价" in rated.get_data(as_text=True)
    twice = client.post(f"/help/r/{request_id}/rate", data={"csrf_token": token, "stars": "1"})
    assert twice.status_code == 409 and "已经评价过了" in twice.get_data(as_text=True)
    types = [e.type for e in outbox.take(station.db(), limit=100)]
    for kind in ("request.accepted", "request.done", "request.rated"):
        assert types.count(kind) == 1


def test_done_before_accept_and_rating_before_done_are_refused(client, station, card):
    request_id = ask(client)
    token = csrf_token(client)
    early = client.post(f"/help/r/{request_id}/rate", data={"csrf_token": token, "stars": "5"})
    assert early.status_code == 409 and "还没有办结" in early.get_data(as_text=True)
    station.requests.dispatch(station.db(), request_id, "M001", points=3)
    tap(client, card, MEMBER)
    page = client.get(client.post(f"/tasks/{request_id}/done", data={"csrf_token": token, "choice": "solved"})
                      .headers["Location"]).get_data(as_text=True)
    assert "请先接单" in page and station.requests.get(station.db(), request_id).state == "dispatched"


def test_another_member_cannot_touch_the_task(client, station, card):
    request_id = ask(client)
    station.requests.dispatch(station.db(), request_id, "M001", points=3)
    mine = tap(client, card, OTHER)
    assert "扎西" in mine and "现在没有派给您的任务" in mine and PHONE not in mine
    page = client.get(client.post(f"/tasks/{request_id}/accept", data={"csrf_token": csrf_token(client)})
                      .headers["Location"]).get_data(as_text=True)
    assert "这个任务没有派给您" in page and station.requests.get(station.db(), request_id).state == "dispatched"


def test_hand_back_with_a_reason(client, station, card):
    request_id = ask(client)
    station.requests.dispatch(station.db(), request_id, "M001", points=3)
    tap(client, card, MEMBER)
    assert "联系不上居民" in client.get(f"/tasks/{request_id}/hand-back").get_data(as_text=True)
    client.post(f"/tasks/{request_id}/hand-back", data={"csrf_token": csrf_token(client), "choice": "cannot_reach"})
    assert station.requests.get(station.db(), request_id).state == "open"
    assert "党员退单" in client.get(f"/help/r/{request_id}").get_data(as_text=True)


def test_tasks_need_a_member_card(client):
    page = client.get("/tasks/").get_data(as_text=True)
    assert "请党员刷卡" in page and 'data-card-mode="capture"' in page


def test_the_home_tile_leads_to_help(client):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/help/"' in home and "/s/help" not in home


def test_the_age_of_what_the_station_knows_in_words(app):
    from kiosk.web.task_screens import age_text

    with app.test_request_context():
        assert [age_text(m) for m in (0, 5, 125, 3 * 1440)] == ["刚刚", "5 分钟前", "2 小时前", "3 天前"]


def test_switching_language_mid_way_keeps_every_answer(client):
    """The language switch on a step sends the step's answers on (307): the same step, in English, all kept."""
    answers = {"category": "repairs", "phone": PHONE, "details": ["tap"], "details_done": "1", "time": "today_pm"}
    form = {"csrf_token": csrf_token(client), **answers, "stay": "time"}
    switched = client.post("/lang/en?next=/help/ask", data=form)
    assert (switched.status_code, switched.headers["Location"]) == (307, "/help/ask")
    page = client.post("/help/ask", data=form).get_data(as_text=True)     # a browser sends the form again on 307
    assert "This afternoon" in page and "今天下午" not in page              # the time step again, in English
    assert 'class="choice chosen" data-time="today_pm"' in page           # the time chosen is still chosen
    assert f'name="phone" value="{PHONE}"' in page and 'name="details" value="tap"' in page
    confirm = step(client, **answers, consent="yes").get_data(as_text=True)
    assert "138****5678" in confirm and "Leaking tap" in confirm           # on to the end, nothing lost


def test_the_back_step_shows_the_step_before_with_its_answers(client):
    answers = {"category": "repairs", "phone": PHONE, "details": ["tap"], "details_done": "1", "time": "today_pm"}
    page = step(client, **answers, back="details").get_data(as_text=True)
    assert "水龙头漏水" in page and re.search(r'value="tap"[^>]*checked', page)     # the details, still ticked
    assert f'name="phone" value="{PHONE}"' in page
    phone = step(client, **answers, back="phone").get_data(as_text=True)
    assert "请输入您的手机号码" in phone and PHONE in phone                 # the number on the keypad's display
