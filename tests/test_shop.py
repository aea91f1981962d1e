"""Points supermarket rules: balance, stock and limits checked in one transaction; void; races; kill -9."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from kiosk import demo
from kiosk.members import ledger, roster
from kiosk.base import outbox, store
from kiosk.shop.supermarket import Shop, ShopError, catalog

NOON = datetime(2026, 11, 23, 4, 0, tzinfo=timezone.utc)           # 12:00 in Asia/Shanghai


@pytest.fixture
def conn(config):
    c = store.open_store(config.database_path)
    demo.seed(c)
    roster.import_csv(c, "member_id,card_uid,name,role,grid,balance\nRICH,ABCD000100,富余,member,g1,100\n",
                      new_member_points=10)
    outbox.forget(c, 10**9)
    yield c
    c.close()


@pytest.fixture
def shop() -> Shop:
    return Shop("Asia/Shanghai")


def stock(conn, goods_id: str) -> int:
    return next(g.stock for g in catalog(conn) if g.id == goods_id)


def test_a_redemption_spends_points_takes_stock_and_reports_once(shop, conn):
    r = shop.redeem(conn, "RICH", [("soap", 2), ("towel", 1)], staff_id="S001", key="k1", now=NOON)
    assert r.total == 2 * 5 + 8 and r.balance_now == 82 and r.new
    assert stock(conn, "soap") == 38 and stock(conn, "towel") == 24
    again = shop.redeem(conn, "RICH", [("soap", 2), ("towel", 1)], staff_id="S001", key="k1", now=NOON)
    assert again.id == r.id and not again.new
    assert ledger.balance(conn, "RICH") == 82 and stock(conn, "soap") == 38
    events = outbox.take(conn)
    assert [e.type for e in events] == ["points.entry", "redemption.made"]
    made = events[1].data
    assert made["total"] == 18 and made["balance_after"] == 82 and made["staff_id"] == "S001"
    assert sorted((i["goods_id"], i["qty"]) for i in made["items"]) == [("soap", 2), ("towel", 1)]


@pytest.mark.parametrize("cart, code", [
    ([("towel", 13)], "over_balance"),        # 104 points for a member with 100
    ([("soap", 41)], "out_of_stock"),
    ([("rice", 2)], "over_limit"),            # one a month
    ([("soap", 0)], "bad_quantity"),
    ([("soap", -1)], "bad_quantity"),
    ([("soap", 1.5)], "bad_quantity"),
    ([("caviar", 1)], "unknown_goods"),
    ([], "empty_cart"),
])
def test_a_bad_cart_is_refused_and_nothing_is_written(shop, conn, cart, code):
    with pytest.raises(ShopError) as err:
        shop.redeem(conn, "RICH", cart, staff_id="S001", key=f"k-{code}", now=NOON)
    assert err.value.code == code
    assert outbox.depth(conn) == 0 and ledger.balance(conn, "RICH") == 100
    assert conn.execute("SELECT COUNT(*) FROM redemptions").fetchone()[0] == 0


def test_limits_count_the_period_and_ignore_voided_redemptions(shop, conn):
    first = shop.redeem(conn, "RICH", [("rice", 1)], staff_id="S001", key="r1", now=NOON)
    with pytest.raises(ShopError, match="at most 1"):
        shop.redeem(conn, "RICH", [("rice", 1)], staff_id="S001", key="r2", now=NOON)
    shop.void(conn, first.id, staff_id="S001", reason="录入错误", now=NOON)
    shop.redeem(conn, "RICH", [("rice", 1)], staff_id="S001", key="r3", now=NOON)
    next_month = NOON + timedelta(days=10)     # 2026-12-03
    shop.redeem(conn, "RICH", [("rice", 1)], staff_id="S001", key="r4", now=next_month)


def test_void_gives_points_and_stock_back_once_and_only_the_same_day(shop, conn):
    r = shop.redeem(conn, "RICH", [("oil", 2)], staff_id="S001", key="k", now=NOON)
    with pytest.raises(ShopError) as err:
        shop.void(conn, r.id, staff_id="S001", reason=" ", now=NOON)
    assert err.value.code == "no_reason"
    voided = shop.void(conn, r.id, staff_id="S001", reason="会员退货", now=NOON)
    assert voided.voided and ledger.balance(conn, "RICH") == 100 and stock(conn, "oil") == 12
    with pytest.raises(ShopError) as err:
        shop.void(conn, r.id, staff_id="S001", reason="again", now=NOON)
    assert err.value.code == "already_voided"
    late = shop.redeem(conn, "RICH", [("oil", 1)], staff_id="S001", key="k2", now=NOON)
    with pytest.raises(ShopError) as err:
        shop.void(conn, late.id, staff_id="S001", reason="late", now=NOON + timedelta(days=1))
    assert err.value.code == "not_today"
    assert [e.type for e in outbox.take(conn)].count("redemption.voided") == 1


def test_stock_received_and_counted(shop, conn):
    assert shop.adjust_stock(conn, "rice", staff_id="S001", kind="received", quantity=10) == 18
    assert shop.adjust_stock(conn, "rice", staff_id="S001", kind="counted", quantity=15) == 15
    deltas = [(e.data["delta"], e.data["reason"]) for e in outbox.take(conn) if e.type == "stock.adjusted"]
    assert deltas == [(10, "received"), (-3, "counted")]
    for kind, quantity in (("received", 0), ("received", -2), ("counted", -1), ("counted", None),
                           ("counted", True), ("counted", 100_001)):
        with pytest.raises(ShopError) as err:
            shop.adjust_stock(conn, "rice", staff_id="S001", kind=kind, quantity=quantity)
        assert err.value.code == "bad_quantity"


def test_a_stock_adjustment_without_a_known_kind_changes_nothing(shop, conn):
    for kind in ("", "delivery", None, "RECEIVED"):
        with pytest.raises(ShopError) as err:
            shop.adjust_stock(conn, "rice", staff_id="S001", kind=kind, quantity=5)
        assert err.value.code == "bad_kind"
    assert stock(conn, "rice") == 8 and outbox.take(conn) == []


SPENDER = """
import sys
from kiosk.shop.supermarket import Shop, ShopError
from kiosk.base import store
conn = store.open_store(sys.argv[1])
try:
    Shop("Asia/Shanghai").redeem(conn, sys.argv[2], [(sys.argv[3], int(sys.argv[4]))], staff_id=sys.argv[5],
                                 key=sys.argv[5])
    print("ok")
except ShopError as exc:
    print(exc.code)
"""


def race(config, member: str, goods_id: str, qty: int) -> list[str]:
    procs = [subprocess.Popen([sys.executable, "-c", SPENDER, str(config.database_path), member, goods_id,
                               str(qty), f"staff-{i}"], stdout=subprocess.PIPE, text=True) for i in range(2)]
    return sorted(p.communicate(timeout=60)[0].strip() for p in procs)


def test_two_processes_spending_80_of_100_exactly_one_succeeds(config, conn):
    conn.execute("UPDATE goods SET limit_qty = 0")
    assert race(config, "RICH", "rice", 4) == ["ok", "over_balance"]
    assert ledger.balance(conn, "RICH") == 20


def test_two_processes_taking_the_last_item_exactly_one_succeeds(shop, config, conn):
    shop.adjust_stock(conn, "towel", staff_id="S001", kind="counted", quantity=1)
    assert race(config, "RICH", "towel", 1) == ["ok", "out_of_stock"]
    assert stock(conn, "towel") == 0


LOOPER = """
import sys
from kiosk.shop.supermarket import Shop, ShopError
from kiosk.base import store
conn = store.open_store(sys.argv[1])
shop = Shop("Asia/Shanghai")
print("going", flush=True)
i = 0
while True:
    i += 1
    try:
        r = shop.redeem(conn, "RICH", [("soap", 1)], staff_id="S001", key=f"{sys.argv[2]}-{i}")
        shop.void(conn, r.id, staff_id="S001", reason="loop")
    except ShopError:
        pass
"""


def test_kill_9_at_random_instants_leaves_ledger_stock_and_outbox_consistent(config, conn):
    random.seed(7)
    for round_ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", LOOPER, str(config.database_path), f"round{round_}"],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "going"
        time.sleep(random.uniform(0.05, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    c = store.connect(config.database_path)
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    made = {e.data["redemption_id"] for e in outbox.take(c, limit=100_000) if e.type == "redemption.made"}
    voided = {e.data["redemption_id"] for e in outbox.take(c, limit=100_000) if e.type == "redemption.voided"}
    assert made == {r[0] for r in c.execute("SELECT id FROM redemptions")}
    assert voided == {r[0] for r in c.execute("SELECT id FROM redemptions WHERE voided_at IS NOT NULL")}
    open_ = c.execute("SELECT COUNT(*) FROM redemptions WHERE voided_at IS NULL").fetchone()[0]
    assert open_ <= 5                               # at most the one each kill interrupted between the two steps
    assert ledger.balance(c, "RICH") == 100 - 5 * open_
    assert stock(c, "soap") == 40 - open_
    seqs = [r[0] for r in c.execute("SELECT seq FROM events ORDER BY seq")]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
