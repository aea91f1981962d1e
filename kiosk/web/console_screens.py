"""Staff devices: pairing, sign-in by staff id and PIN, and the list of paired devices.

At the residents' screen a signed-in staff member (card and PIN) shows a one-time pairing code: a QR
code of the console's address and 6 digits, for two minutes. On the console's listener (HTTPS on the
LAN) the device that opens it is named and paired: it keeps a device token in a cookie the station
knows only by hash. Every console screen but pairing needs a paired device; a revoked one is told so
and its cookie is dropped. Staff list and revoke devices on either listener.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup

from ..members import devices, staff
from .context import station
from .staff import on_console, pin_refusal, signed_in, staff_required, start_session

bp = Blueprint("console", __name__, url_prefix="/staff")
DEVICE_COOKIE = "vstation_device"
DEVICE_COOKIE_S = 400 * 24 * 3600          # as long as browsers keep a cookie
OPEN_ENDPOINTS = {"static", "fonts.static", "console.pair", "console.pair_submit", "lang.switch", "lang.text_size"}


def init_console(app: Flask) -> None:
    """On the console's listener every screen but pairing needs a paired device (kept in `g.device`)."""
    @app.before_request
    def paired_device():
        g.device = None
        try:
            g.device = devices.device_of(station().db(), request.cookies.get(DEVICE_COOKIE), now=station().clock())
        except devices.DeviceRefused as exc:
            if request.endpoint in OPEN_ENDPOINTS:
                return None
            if request.endpoint is None:
                abort(404)
            return _unpaired(exc)
        return None


def _unpaired(exc: devices.DeviceRefused):
    revoked = exc.code == "device_revoked"
    page = render_template("console/unpaired.html", revoked=revoked)
    response = make_response(page, 403)
    if revoked:
        response.delete_cookie(DEVICE_COOKIE, secure=True, httponly=True, samesite="Strict")
    return response


# -- on the residents' screen: show a pairing code -------------------------------------------
@bp.get("/devices")
@staff_required
def list_devices():
    st = station()
    return render_template("console/devices.html", devices=devices.paired(st.db()), here=g.get("device"),
                           can_pair=not on_console(), console_on=st.config.staff_console.enabled)


@bp.post("/devices/code")
@staff_required
def show_code():
    """A one-time pairing code for the next device, shown at the residents' screen only."""
    st = station()
    if on_console() or not st.config.staff_console.enabled:
        abort(404)
    code = devices.new_code(st.db(), g.staff["id"], now=st.clock())
    link = f"{current_app.config['VSTATION_CONSOLE_URL']}staff/pair?code={code.code}"
    return render_template("console/code.html", code=code.code, link=link, qr=_qr_svg(link),
                           seconds=devices.CODE_VALID_S)


def _qr_svg(text: str) -> Markup:
    """The QR code of a link, as inline SVG (qrcode's path image: one element, crisp at any size)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2)
    return Markup(image.to_string(encoding="unicode"))


@bp.post("/devices/<device_id>/revoke")
@staff_required
def revoke(device_id: str):
    st = station()
    try:
        device = devices.revoke(st.db(), device_id, by=g.staff["id"], now=st.clock())
    except devices.DeviceRefused:
        abort(404)
    flash(_("已取消配对：%(name)s", name=device.name))
    here = g.get("device")
    if here is not None and here.id == device_id:
        return redirect(url_for("console.sign_in"))
    return redirect(url_for("console.list_devices"))


# -- on the console: pair this device, sign in ---------------------------------------------
@bp.get("/pair")
def pair():
    if not on_console():
        abort(404)
    return render_template("console/pair.html", code=request.args.get("code", "")[:6])


@bp.post("/pair")
def pair_submit():
    if not on_console():
        abort(404)
    st = station()
    code, name = request.form.get("code", "")[:12], request.form.get("name", "")[:80]
    try:
        token, device = devices.pair(st.db(), code, name, now=st.clock())
    except devices.DeviceRefused as exc:
        return render_template("console/pair.html", code=code, name=name, refusal=_pair_refusal(exc.code)), exc.status
    response = redirect(url_for("console.sign_in"))
    response.set_cookie(DEVICE_COOKIE, token, max_age=DEVICE_COOKIE_S, secure=True, httponly=True, samesite="Strict")
    flash(_("配对成功：%(name)s。请用工号和密码登录。", name=device.name))
    return response


def _pair_refusal(code: str) -> str:
    return {"code_expired": _("配对码已过期（两分钟有效），请在服务机上重新生成。"),
            "code_used": _("这个配对码已经用过了，请在服务机上重新生成。"),
            "bad_name": _("请给这台设备起个名字（最多 40 个字）。")}.get(
        code, _("配对码不对，请核对服务机上的 6 位数字。"))


@bp.get("/signin")
def sign_in():
    if not on_console():
        return redirect(url_for("staff.start"))
    if signed_in():
        return redirect(url_for("staff.menu"))
    return render_template("console/signin.html", device=g.device)


@bp.post("/signin")
def sign_in_submit():
    if not on_console():
        abort(404)
    st = station()
    try:
        member = staff.sign_in_by_id(st.db(), request.form.get("staff_id", "")[:32], request.form.get("pin", "")[:6],
                                     clock=st.clock)
    except staff.StaffAuthError as exc:
        # an unknown id and a wrong PIN read the same: the screen does not tell who is staff
        flash(pin_refusal(exc) if exc.code == "wait" or exc.wait_s else _("工号或密码不对，请再试一次。"))
        return redirect(url_for("console.sign_in"))
    start_session(member)
    return redirect(url_for("staff.menu"))
