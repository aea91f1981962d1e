"""Staff screens of the points supermarket: cart, member tap, confirm, receipt, void, stock.

The cart lives in the session as goods ids and quantities only: prices always
come from the database, so a tampered form cannot change what is charged.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..members import cards, ledger
from ..printing.spooler import print_status
from ..shop.supermarket import MAX_QTY, MAX_STOCK, Redemption, ShopError, catalog
from .context import station
from .forms import number
from .i18n import current_language, listing, localized
from .refusals import words
from .staff import capture_cards, staff_required
from .tapped import binding, form_matches, keep, tapped_member

bp = Blueprint("shop", __name__, url_prefix="/staff/shop")
bp.context_processor(capture_cards)
VOID_REASONS = (("entry_error", _l("录入错误")), ("returned", _l("会员退货")), ("duplicate", _l("重复兑换")))


def _cart() -> dict[str, int]:
    cart = session.get("cart")
    return {k: int(v) for k, v in cart.items()} if isinstance(cart, dict) else {}




@bp.get("/")
@staff_required
def shelf():
    cart = _cart()
    goods = catalog(station().db())
    total = sum(gd.price * cart.get(gd.id, 0) for gd in goods)
    return render_template("shop/shelf.html", goods=goods, cart=cart, total=total)


@bp.post("/cart/<goods_id>/<action>")
@staff_required
def cart_change(goods_id: str, action: str):
    cart = _cart()
    if action == "add" and any(gd.id == goods_id for gd in catalog(station().db())):
        cart[goods_id] = min(MAX_QTY, cart.get(goods_id, 0) + 1)
    elif action == "remove" and goods_id in cart:
        cart[goods_id] -= 1
        if cart[goods_id] <= 0:
            del cart[goods_id]
    session["cart"] = cart
    return redirect(url_for("shop.shelf"))


@bp.get("/checkout")
@staff_required
def checkout():
    if not _cart():
        flash(_("还没有选商品。"))
        return redirect(url_for("shop.shelf"))
    return render_template("shop/tap.html", on_card=url_for("shop.confirm"))


@bp.get("/confirm")
@staff_required
def confirm():
    """Show balance, total and balance after for the member this screen's tap brought, bound to that quote."""
    st = station()
    member = tapped_member("quote")
    if member is None:
        flash(_("请会员刷卡。"))
        return redirect(url_for("shop.checkout"))
    cart = sorted(_cart().items())
    if binding("quote").get("cart") not in (None, [list(line) for line in cart]):
        keep("quote", key=ledger.one_time_key())     # another cart: another quote, another key
    keep("quote", cart=[list(line) for line in cart])
    try:
        quote = st.shop.quote(st.db(), member.id, cart, now=st.clock())
    except ShopError as exc:
        return render_template("shop/refused.html", member=member, message=words(exc),
                               balance=ledger.balance(st.db(), member.id))
    return render_template("shop/confirm.html", member=member, quote=quote, key=binding("quote")["key"])


@bp.post("/confirm")
@staff_required
def confirm_submit():
    """Redeem exactly the member and cart that were quoted, once (a retried confirm returns the first)."""
    st, bound = station(), form_matches("quote")
    member = cards.by_id(st.db(), bound["id"]) if bound else None
    if member is None or not bound.get("cart"):
        flash(_("页面已过期，请会员重新刷卡。"))
        return redirect(url_for("shop.checkout"))
    cart = [(goods_id, qty) for goods_id, qty in bound["cart"]]
    try:
        redemption, job = st.redeem(member.id, cart, staff_id=g.staff["id"], key=f"shop:{bound['key']}",
                                   lang=current_language())
    except ShopError as exc:
        flash(words(exc))
        return redirect(url_for("shop.confirm"))
    session.pop("cart", None)
    return redirect(url_for("shop.done", redemption_id=redemption.id))


@bp.get("/done/<redemption_id>")
@staff_required
def done(redemption_id: str):
    """The redemption just made and its receipt's print job, followed live (a reload redeems nothing again)."""
    st = station()
    try:
        redemption = st.shop.get(st.db(), redemption_id[:64])
    except ShopError:
        return redirect(url_for("shop.shelf"))
    member = cards.by_id(st.db(), redemption.member_id)
    return render_template("shop/done.html", r=redemption, member=member,
                           pj=print_status(st.printing.latest_for(redemption.id)))


@bp.get("/today")
@staff_required
def today():
    st = station()
    conn = st.db()
    redemptions = st.shop.today(conn, st.clock())
    members = {r.member_id: cards.name_of(conn, r.member_id) or r.member_id for r in redemptions}
    return render_template("shop/today.html", redemptions=redemptions, members=members,
                           goods={r.id: _goods_text(conn, r) for r in redemptions})


def _goods_text(conn, redemption: Redemption) -> str:
    """What a redemption took, in the screen's language: 洗衣皂 × 2、毛巾 × 1."""
    names = {gd.id: localized(gd.name) for gd in catalog(conn, active_only=False)}
    return listing(f"{names.get(goods_id, goods_id)} × {qty}" for goods_id, qty, _price in redemption.items)


@bp.route("/void/<redemption_id>", methods=["GET", "POST"])
@staff_required
def void(redemption_id: str):
    """A void is asked once more (GET: what it undoes, and its reasons) before points and stock go back."""
    st = station()
    if request.method == "GET":
        conn = st.db()
        try:
            redemption = st.shop.get(conn, redemption_id[:64])
        except ShopError:
            return redirect(url_for("shop.today"))
        if redemption.voided:
            return redirect(url_for("shop.today"))
        return render_template("shop/void.html", r=redemption, reasons=VOID_REASONS, goods=_goods_text(conn, redemption),
                               member=cards.name_of(conn, redemption.member_id) or redemption.member_id)
    try:
        reason = request.form.get("reason", "")
        st.shop.void(st.db(), redemption_id, staff_id=g.staff["id"],
                     reason=reason if reason in dict(VOID_REASONS) else "", now=st.clock())
        flash(_("已作废，积分和库存已退回。"))
    except ShopError as exc:
        flash(words(exc))
    return redirect(url_for("shop.today"))


@bp.route("/stock", methods=["GET", "POST"])
@staff_required
def stock():
    """Stock received (+n) or counted (set to n) by staff."""
    st = station()
    if request.method == "POST":
        try:
            new = st.shop.adjust_stock(st.db(), request.form.get("goods", ""), staff_id=g.staff["id"],
                                       kind=request.form.get("kind", ""), quantity=number("quantity", high=MAX_STOCK))
            flash(_("库存已更新：现有 %(n)d 件。", n=new))
        except ShopError as exc:
            flash(words(exc))
        return redirect(url_for("shop.stock"))
    return render_template("shop/stock.html", goods=catalog(st.db(), active_only=False))


@bp.get("/stock/<goods_id>")
@staff_required
def stock_goods(goods_id: str):
    """One item's stock on the keypad: received (+n) or counted (n)."""
    found = [gd for gd in catalog(station().db(), active_only=False) if gd.id == goods_id[:64]]
    if not found:
        return redirect(url_for("shop.stock"))
    return render_template("shop/stock_goods.html", gd=found[0])
