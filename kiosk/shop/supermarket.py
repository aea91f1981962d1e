"""The points supermarket (积分兑换超市): catalogue, stock, redemption and void.

This is money. Every redemption is one `BEGIN IMMEDIATE` transaction that
checks the balance, the stock and the member's limits and then writes the
ledger entry, the stock moves and the `redemption.made` event; the write lock
is held from the first check, so two stations' staff spending the same
balance at once cannot both succeed. Prices and limits always come from the
database, never from a form. A confirm carries an idempotency key: retried,
it returns the first redemption.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

from ..base import outbox, store
from ..base.clock import local_day, rfc3339, utc_now
from ..base.errors import Refusal
from ..members import ledger

MAX_QTY = 99
MAX_STOCK = 100_000
STOCK_KINDS = ("received", "counted")   # +n on a delivery; set to n after counting


class ShopError(Refusal):
    """A redemption, void or stock change refused."""


@dataclass(frozen=True)
class Goods:
    id: str
    name: dict[str, str]
    price: int
    stock: int
    limit_qty: int
    limit_period: str
    picture: str
    active: bool


@dataclass(frozen=True)
class Line:
    goods: Goods
    qty: int

    @property
    def amount(self) -> int:
        return self.goods.price * self.qty


@dataclass(frozen=True)
class Quote:
    member_id: str
    lines: tuple[Line, ...]
    total: int
    balance: int

    @property
    def balance_after(self) -> int:
        return self.balance - self.total


@dataclass(frozen=True)
class Redemption:
    id: str
    member_id: str
    staff_id: str
    total: int
    ts: str
    day: str
    items: tuple[tuple[str, int, int], ...]      # (goods id, qty, unit price)
    voided: bool
    balance_now: int                              # the member's balance when this was read
    new: bool = True


def catalog(conn: sqlite3.Connection, *, active_only: bool = True) -> list[Goods]:
    """Goods with their stock (the sum of their moves)."""
    rows = conn.execute("SELECT g.id, g.name, g.price, COALESCE(SUM(m.delta), 0), g.limit_qty, g.limit_period, "
                        "g.picture, g.active FROM goods g LEFT JOIN stock_moves m ON m.goods_id = g.id "
                        + ("WHERE g.active = 1 " if active_only else "") + "GROUP BY g.id ORDER BY g.price, g.id"
                        ).fetchall()
    return [Goods(r[0], json.loads(r[1]), r[2], r[3], r[4], r[5], r[6], bool(r[7])) for r in rows]


def _merged(lines: Iterable[tuple]) -> dict[str, int]:
    """A cart as goods → quantity, whatever order or split its lines came in."""
    merged: dict[str, int] = {}
    for goods_id, qty, *_price in lines:
        merged[goods_id] = merged.get(goods_id, 0) + qty
    return merged


def goods(conn: sqlite3.Connection, goods_id: str) -> Goods:
    found = [g for g in catalog(conn, active_only=False) if g.id == goods_id]
    if not found:
        raise ShopError("unknown_goods", f"no goods {goods_id!r} in the catalogue")
    return found[0]


class Shop:
    """Redemption rules for one station (its timezone sets days and limit periods)."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)

    def quote(self, conn: sqlite3.Connection, member_id: str, cart: Iterable[tuple[str, int]], *,
              now: datetime | None = None) -> Quote:
        """Price a cart for a member and check it; raise ShopError with the first reason it fails."""
        now = now or utc_now()
        merged: dict[str, int] = {}
        for goods_id, qty in cart:
            if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_QTY:
                raise ShopError("bad_quantity", f"quantity must be a whole number from 1 to {MAX_QTY}, not {qty!r}")
            merged[goods_id] = merged.get(goods_id, 0) + qty
        if not merged:
            raise ShopError("empty_cart", "the cart is empty")
        stock = {g.id: g for g in catalog(conn, active_only=False)}
        lines = []
        for goods_id, qty in merged.items():
            item = stock.get(goods_id)
            if item is None or not item.active:
                raise ShopError("unknown_goods", f"no goods {goods_id!r} on offer")
            if qty > item.stock:
                raise ShopError("out_of_stock", f"{item.name['zh']}: {item.stock} left, {qty} wanted",
                                goods=item.name, stock=item.stock, wanted=qty)
            taken = self._taken(conn, member_id, item, now) if item.limit_qty else 0
            if item.limit_qty and taken + qty > item.limit_qty:
                raise ShopError("over_limit", f"{item.name['zh']}: at most {item.limit_qty} per member "
                                              f"per {item.limit_period}", goods=item.name, limit=item.limit_qty,
                                period=item.limit_period, taken=taken)
            lines.append(Line(item, qty))
        total = sum(line.amount for line in lines)
        balance = ledger.balance(conn, member_id)
        if total > balance:
            raise ShopError("over_balance", f"the cart costs {total} points, the member has {balance}",
                            total=total, balance=balance, shortfall=total - balance)
        return Quote(member_id, tuple(lines), total, balance)

    def redeem(self, conn: sqlite3.Connection, member_id: str, cart: Iterable[tuple[str, int]], *, staff_id: str,
               key: str, now: datetime | None = None) -> Redemption:
        """Check and write a redemption as one transaction; the same key returns the first one."""
        now = now or utc_now()
        cart = list(cart)
        with store.transaction(conn):
            if not isinstance(key, str) or not key.strip():
                raise ShopError("no_key", "a redemption needs its one-time key", status=400)
            row = conn.execute("SELECT id FROM redemptions WHERE idem_key = ?", (key,)).fetchone()
            if row:
                first = self._load(conn, row[0], new=False)
                if (first.member_id, _merged(first.items)) != (member_id, _merged(cart)):
                    raise ShopError("key_reused", "this key was already used for another member or cart", status=422)
                return first
            if conn.execute("SELECT 1 FROM members WHERE id = ? AND active = 1", (member_id,)).fetchone() is None:
                raise ShopError("unknown_member", f"no member {member_id!r}")
            quote = self.quote(conn, member_id, cart, now=now)
            redemption_id = str(uuid.uuid4())
            conn.execute("INSERT INTO redemptions (id, member_id, staff_id, total, ts, day, idem_key) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (redemption_id, member_id, staff_id, quote.total, rfc3339(now), self._day(now), key))
            for line in quote.lines:
                conn.execute("INSERT INTO redemption_items (redemption_id, goods_id, qty, unit_price) "
                             "VALUES (?, ?, ?, ?)", (redemption_id, line.goods.id, line.qty, line.goods.price))
                conn.execute("INSERT INTO stock_moves (goods_id, delta, reason, ts, author, redemption_id) "
                             "VALUES (?, ?, 'redemption', ?, ?, ?)",
                             (line.goods.id, -line.qty, rfc3339(now), staff_id, redemption_id))
            ledger.add(conn, member_id, -quote.total, "redemption", key=f"redemption:{redemption_id}",
                       author=staff_id, note=redemption_id, now=now)
            outbox.append(conn, "redemption.made", {
                "redemption_id": redemption_id, "member_id": member_id, "staff_id": staff_id,
                "items": [{"goods_id": ln.goods.id, "qty": ln.qty, "unit_price": ln.goods.price}
                          for ln in quote.lines],
                "total": quote.total, "balance_after": quote.balance_after}, ts=rfc3339(now))
            return self._load(conn, redemption_id, new=True)

    def void(self, conn: sqlite3.Connection, redemption_id: str, *, staff_id: str, reason: str,
             now: datetime | None = None) -> Redemption:
        """Undo a redemption of today: points back, stock back, `redemption.voided`; only once."""
        now = now or utc_now()
        reason = (reason or "").strip()
        if not reason:
            raise ShopError("no_reason", "a void needs a reason")
        with store.transaction(conn):
            found = conn.execute("SELECT member_id, total, day, voided_at FROM redemptions WHERE id = ?",
                                 (redemption_id,)).fetchone()
            if found is None:
                raise ShopError("unknown_redemption", "no such redemption")
            member_id, total, day, voided_at = found
            if voided_at:
                raise ShopError("already_voided", "this redemption was already voided")
            if day != self._day(now):
                raise ShopError("not_today", "only a redemption of today can be voided")
            conn.execute("UPDATE redemptions SET voided_at = ?, voided_by = ?, void_reason = ? WHERE id = ?",
                         (rfc3339(now), staff_id, reason[:200], redemption_id))
            for goods_id, qty in conn.execute("SELECT goods_id, qty FROM redemption_items WHERE redemption_id = ?",
                                              (redemption_id,)).fetchall():
                conn.execute("INSERT INTO stock_moves (goods_id, delta, reason, ts, author, redemption_id) "
                             "VALUES (?, ?, 'void', ?, ?, ?)", (goods_id, qty, rfc3339(now), staff_id, redemption_id))
            ledger.add(conn, member_id, total, "void", key=f"void:{redemption_id}", author=staff_id,
                       note=reason[:200], now=now)
            outbox.append(conn, "redemption.voided", {"redemption_id": redemption_id, "member_id": member_id,
                                                      "staff_id": staff_id, "total": total, "reason": reason[:200]},
                          ts=rfc3339(now))
            return self._load(conn, redemption_id, new=True)

    def adjust_stock(self, conn: sqlite3.Connection, goods_id: str, *, staff_id: str, kind: str,
                     quantity: int | None, now: datetime | None = None) -> int:
        """Stock `received` (+quantity) or `counted` (set to quantity) by staff, as a move with
        `stock.adjusted`; the new stock. Any other kind is refused: guessing would turn a delivery
        of 5 into a stock of 5."""
        now = now or utc_now()
        if kind not in STOCK_KINDS:
            raise ShopError("bad_kind", f"a stock adjustment is {' or '.join(STOCK_KINDS)}, not {kind!r}", status=422)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= MAX_STOCK \
                or (kind == "received" and quantity == 0):
            raise ShopError("bad_quantity", f"not a usable quantity: {quantity!r}", status=422)
        with store.transaction(conn):
            before = goods(conn, goods_id).stock
            delta = quantity if kind == "received" else quantity - before
            if delta:
                conn.execute("INSERT INTO stock_moves (goods_id, delta, reason, ts, author) VALUES (?, ?, ?, ?, ?)",
                             (goods_id, delta, kind, rfc3339(now), staff_id))
            outbox.append(conn, "stock.adjusted", {"goods_id": goods_id, "delta": delta, "stock": before + delta,
                                                   "reason": kind, "staff_id": staff_id}, ts=rfc3339(now))
        return before + delta

    def get(self, conn: sqlite3.Connection, redemption_id: str) -> Redemption:
        """One redemption as recorded, with the member's balance now."""
        if conn.execute("SELECT 1 FROM redemptions WHERE id = ?", (redemption_id,)).fetchone() is None:
            raise ShopError("unknown_redemption", "no such redemption", status=404)
        return self._load(conn, redemption_id, new=False)

    def today(self, conn: sqlite3.Connection, now: datetime | None = None) -> list[Redemption]:
        rows = conn.execute("SELECT id FROM redemptions WHERE day = ? ORDER BY ts DESC",
                            (self._day(now or utc_now()),)).fetchall()
        return [self._load(conn, r[0], new=False) for r in rows]

    def day_summary(self, conn: sqlite3.Connection, day: str, *, low_stock: int = 3) -> dict:
        """For the staff report: redemptions, points spent and issued that day, goods running low.

        Points issued are those earned that day (volunteer hours, help requests, staff additions); the base
        points new members start with are no one's work of the day, so they are counted apart (`seeded`,
        for `new_members` members). A voided redemption's points coming back are neither.
        """
        start = datetime.combine(datetime.fromisoformat(day).date(), datetime.min.time(), tzinfo=self.zone)
        span = (rfc3339(start), rfc3339(start + timedelta(days=1)))
        count, spent = conn.execute("SELECT COUNT(*), COALESCE(SUM(total), 0) FROM redemptions "
                                    "WHERE day = ? AND voided_at IS NULL", (day,)).fetchone()
        issued = conn.execute("SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE amount > 0 "
                              "AND reason NOT IN ('void', 'seed') AND ts >= ? AND ts < ?", span).fetchone()[0]
        members, seeded = conn.execute("SELECT COUNT(DISTINCT member_id), COALESCE(SUM(amount), 0) FROM ledger "
                                       "WHERE reason = 'seed' AND ts >= ? AND ts < ?", span).fetchone()
        low = [(g.name, g.stock) for g in catalog(conn) if g.stock <= low_stock]
        return {"redemptions": count, "points_spent": spent, "points_issued": issued, "seeded": seeded,
                "new_members": members, "low_stock": low}

    def _taken(self, conn: sqlite3.Connection, member_id: str, item: Goods, now: datetime) -> int:
        local = now.astimezone(self.zone).date()
        start = {"day": local, "week": local - timedelta(days=local.weekday()),
                 "month": local.replace(day=1)}[item.limit_period]
        return conn.execute("SELECT COALESCE(SUM(i.qty), 0) FROM redemption_items i JOIN redemptions r "
                            "ON r.id = i.redemption_id WHERE r.member_id = ? AND i.goods_id = ? "
                            "AND r.voided_at IS NULL AND r.day >= ?",
                            (member_id, item.id, start.isoformat())).fetchone()[0]

    def _day(self, moment: datetime) -> str:
        return local_day(moment, self.zone)

    def _load(self, conn: sqlite3.Connection, redemption_id: str, *, new: bool) -> Redemption:
        r = conn.execute("SELECT id, member_id, staff_id, total, ts, day, voided_at FROM redemptions WHERE id = ?",
                         (redemption_id,)).fetchone()
        items = conn.execute("SELECT goods_id, qty, unit_price FROM redemption_items WHERE redemption_id = ? "
                             "ORDER BY goods_id", (redemption_id,)).fetchall()
        return Redemption(r[0], r[1], r[2], r[3], r[4], r[5], tuple(tuple(i) for i in items), r[6] is not None,
                          ledger.balance(conn, r[1]), new=new)
