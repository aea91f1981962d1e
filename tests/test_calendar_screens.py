"""The calendar, duty and door-step service on the screens, with the demo as shipped and a fixed clock.

The guide, home and idle screens show today's hours, the next opening and the week; who is on duty
comes from the staff's own taps on the duty clock; a door-step request walks building, unit and door,
and its address reaches the member in full only while the task is theirs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import Card, LocalClock, demo_config, slips
from test_web import csrf_token

from drivers import paper
from kiosk.base import outbox

LI_NA, MEMBER, PHONE = "5A5A5A5A01", "0A1B2C3D4E", "13812345678"


@pytest.fixture
def clock() -> LocalClock:
    return LocalClock("2026-12-29 18:30")              # a Tuesday, between the day and the evening session


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return demo_config(tmp_path, calendar=True)      # the demo as shipped: its week, evenings and holidays


@pytest.fixture
def station_clock(clock: LocalClock) -> LocalClock:
    return clock


def page(client, path: str) -> str:
    return re.sub(r"\s+", " ", client.get(path).get_data(as_text=True))


# -- hours ------------------------------------------------------------------------------------
def test_the_guide_shows_today_the_next_opening_and_the_week(client, clock):
    guide = page(client, "/guide")
    assert "今天：8:30–12:00、14:30–18:00、19:00–21:00" in guide
    assert "下次开放：今天 19:00" in guide
    week = re.search(r'<table class="report week" id="hours-week">(.*?)</table>', guide).group(1)
    rows = re.findall(r"<th scope=\"row\">(.*?)</th><td>(.*?)</td>", week)
    assert [label for label, _ in rows][:2] == ["今天", "明天"] and len(rows) == 7
    assert rows[2] == ("星期四 12月31日", "8:30–12:00、14:30–18:00、19:00–21:00")
    assert rows[3][1] == '9:00–12:00<span class="week-reason">元旦假期，只开上午</span>'
    assert rows[4] == ("星期六 1月2日", "9:00–12:00、15:00–20:00")
    assert "证明办理 · 今天：8:30–12:00、14:30–17:30" in guide           # a service with hours of its own
    clock.set("2026-12-29 19:30")
    assert "现在开放，到 21:00" in page(client, "/guide")
    client.get("/lang/en")
    english = page(client, "/guide")
    assert "Today: 8:30–12:00, 14:30–18:00, 19:00–21:00" in english and "Open now, until 21:00" in english
    assert "New Year&#39;s Day: mornings only" in english and "Thursday Dec 31" in english


def test_home_and_idle_screens_show_the_hours_and_a_holiday_says_why(client, clock):
    assert "今天：8:30–12:00、14:30–18:00、19:00–21:00 · 下次开放：今天 19:00" in page(client, "/")
    idle = page(client, "/welcome")                                  # the week in few lines: it has to fit
    assert '<span class="week-day">周一、周三</span> 8:30–12:00、14:30–18:00' in idle
    assert '<span class="week-day">周二、周四</span> 8:30–12:00、14:30–18:00、19:00–21:00' in idle
    assert '<span class="week-day">周六、周日</span> 9:00–12:00、15:00–20:00' in idle
    assert '<span class="week-day">星期五 1月1日</span> 9:00–12:00（元旦假期，只开上午）' in idle
    clock.set("2027-02-05 10:00")
    idle = page(client, "/welcome")
    assert "今天：休息（除夕、春节初一休息） · 下次开放：星期日 10:00" in idle
    week = re.search(r'id="welcome-week">(.*?)</span> </span>', idle).group(1)
    assert "这一周的开放时间" in week and "明天</span> 休息（除夕、春节初一休息）" in week
    assert "星期日 2月7日</span> 10:00–12:00、15:00–18:00（春节假期时间）" in week


# -- duty -------------------------------------------------------------------------------------
def test_a_staff_tap_on_the_duty_clock_shows_on_the_guide_by_name_and_role(client, station, clock):
    card = Card(station)
    guide = page(client, "/guide")
    assert "今日值班" in guide and "次仁 · 全科社工" in guide               # nobody tapped today: the list
    assert "请刷工作人员卡：上岗时刷一次" in page(client, "/staff/duty/")
    done = page(client, f"/staff/duty/tap?tap={card.tap(LI_NA)}")
    assert "李娜：已上岗（18:30）。下岗时请再刷一次卡。" in done
    guide = page(client, "/guide")
    assert "现在值班" in guide and "李娜 · 全科社工" in guide and "次仁" not in guide
    assert "现在值班：李娜（全科社工）" in page(client, "/welcome")
    assert [e.type for e in outbox.take(station.db())] == ["staff.on_duty"]
    clock.advance(hours=2, minutes=35)
    assert "李娜：已下岗，本次值班 2 小时 35 分。辛苦了！" in page(client, f"/staff/duty/tap?tap={card.tap(LI_NA)}")
    assert "现在没有人上岗。" in page(client, "/guide")


def test_a_member_card_on_the_duty_clock_is_refused_and_a_reused_tap_records_nothing(client, station):
    card = Card(station)
    screen = station.bus.subscribe(mode="capture")                       # the duty clock's open screen
    response = client.get(f"/staff/duty/tap?tap={card.tap(MEMBER)}")
    assert response.status_code == 403
    assert "上岗、下岗请刷工作人员卡；会员卡请在首页刷卡签到。" in response.get_data(as_text=True)
    tap = card.tap(LI_NA)
    client.get(f"/staff/duty/tap?tap={tap}")
    again = client.get(f"/staff/duty/tap?tap={tap}")                      # a reload: the tap was claimed
    assert again.status_code == 302 and again.headers["Location"] == "/staff/duty/"
    assert [e.type for e in outbox.take(station.db())] == ["staff.on_duty"]
    assert station.db().execute("SELECT COUNT(*) FROM visits").fetchone()[0] == 0    # captured, not a check-in
    screen.close()


# -- door-step service ----------------------------------------------------------------------------
def step(client, **fields):
    return re.sub(r"\s+", " ", client.post("/help/ask", data={"csrf_token": csrf_token(client), **fields})
                  .get_data(as_text=True))


def test_a_door_step_request_walks_building_unit_and_door_and_masks_the_address(client, station):
    answers = {"category": "door-step"}
    assert "请选择您住的楼栋" in step(client, **answers) and "八廓小区 1 栋" in step(client, **answers)
    answers["building"] = "barkor-1"
    assert "八廓小区 1 栋：请选择单元" in step(client, **answers)
    answers["unit"] = "2"
    assert "请输入门牌号" in step(client, **answers)
    refused = step(client, **answers, door="0")
    assert "门牌号不对：请输入 1 到 5 位数字。" in refused
    answers["door"] = "1502"
    assert "请输入您的手机号码" in step(client, **answers)
    answers.update(phone=PHONE, details=["haircut"], details_done="1", time="tomorrow_am", consent="yes")
    confirm = step(client, **answers)
    assert "八廓小区 1 栋（门牌号已隐去）" in confirm and "1502" not in confirm.replace('value="1502"', "")
    key = re.search(r'name="key" value="([^"]+)"', confirm).group(1)
    done = client.post("/help/submit", data={"csrf_token": csrf_token(client), "key": key, **answers})
    assert done.status_code == 302
    slip = paper.text_of(slips(station)[-1])
    assert "上门地址：八廓小区 1 栋（门牌号已隐去）" in slip and "1502" not in slip
    request_id = done.headers["Location"].split("/")[3]
    assert "1502" not in page(client, f"/help/r/{request_id}")                # the follow-up page


def test_the_member_sees_the_whole_address_while_the_task_is_theirs(client, station):
    req, _ = station.ask_for_help("door-step", PHONE, ["medicine"], "today_pm", consent=True, key="k",
                                  address=("barkor-2", "1", "302"))
    station.dispatch_request(req.id, "M001", 2)
    card = Card(station)
    tasks = page(client, f"/tasks/?tap={card.tap(MEMBER)}")
    assert '<strong class="address">八廓小区 2 栋 1 单元 302 室</strong>' in tasks
    conn = station.db()
    station.requests.accept(conn, req.id, "M001")
    station.requests.done(conn, req.id, "M001", "solved")
    tasks = page(client, "/tasks/")
    assert '<strong class="address">八廓小区 2 栋（门牌号已隐去）</strong>' in tasks and "302 室" not in tasks
