"""The points supermarket for the district: the catalogue (admins publish it), stock per station, low stock.

Anyone who may view sees the catalogue and the stock; changing the
catalogue needs the publish right. Each change publishes the catalogue's
next version to every station; a refusal publishes nothing.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import board
from ..errors import Refused
from ..shop import catalogue, stock
from .auth import require
from .context import console, now, read, write
from .refusals import in_words

bp = Blueprint("shop", __name__, url_prefix="/shop")


@bp.get("/")
@require("view")
def index():
    threshold = console().settings.shop.low_stock
    with read() as conn:
        goods = catalogue.goods(conn)
        levels = stock.levels(conn)
        stations = board.registered(conn)
    table = {(lv.station_id, lv.goods_id): lv for lv in levels}
    low = stock.low(levels, {x["id"] for x in goods if x.get("active", True)}, threshold)
    return render_template("shop.html", goods=goods, stations=stations, table=table, low=low, threshold=threshold)


def _number(text: str, what: str) -> int:
    if not text.strip().isdigit():
        raise Refused(f"{what} {text!r} is not a whole number", [f"{what} {text!r} is not a whole number"],
                      code="bad_good")
    return int(text.strip())


@bp.post("/goods")
@require("publish")
def save():
    f = request.form
    try:
        good = {"id": f.get("id", "").strip(), "name": {k: f.get(f"name_{k}", "") for k in ("zh", "bo", "en")},
                "price": _number(f.get("price", ""), "price"), "limit_qty": _number(f.get("limit_qty", "0") or "0",
                                                                                     "limit_qty"),
                "limit_period": f.get("limit_period", "month"), "active": f.get("active", "1") == "1"}
    except Refused as refused:
        flash(_("没有发布：%(why)s", why=in_words(refused)), "error")
        return redirect(url_for("shop.index"))
    return _publish(lambda conn: catalogue.save(conn, good, by=g.user.username, now=now()))


def _publish(change) -> object:
    """Publish the catalogue's next version through `change`, or say in words why not."""
    try:
        with write() as conn:
            doc = change(conn)
    except Refused as refused:
        flash(_("没有发布：%(why)s", why=in_words(refused)), "error")
    else:
        flash(_("商品目录第 %(v)d 版已发布给所有站点。", v=doc.version), "ok")
        console().wake(None)
    return redirect(url_for("shop.index"))


@bp.post("/goods/<goods_id>/active")
@require("publish")
def set_active(goods_id: str):
    active = request.form.get("active") == "1"
    return _publish(lambda conn: catalogue.set_active(conn, goods_id, active, by=g.user.username, now=now()))
