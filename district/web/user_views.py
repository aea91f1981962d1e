"""Console users (admins only): add, change role, deactivate (which ends their sessions)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import accounts
from ..errors import Refused
from .auth import require
from .context import now, read, write

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.get("/")
@require("admin")
def index():
    with read() as conn:
        people = accounts.all_users(conn)
    return render_template("users.html", people=people, roles=accounts.ROLES)


@bp.post("/")
@require("admin")
def add():
    f = request.form
    try:
        with write() as conn:
            accounts.create_user(conn, f.get("username", "").strip(), f.get("password", ""), f.get("role", ""), now())
    except Refused as refused:
        flash(_("没有添加：%(why)s", why=str(refused)) + "".join(f" · {r}" for r in refused.reasons), "error")
    else:
        flash(_("已添加用户 %(name)s。", name=f.get("username", "").strip()), "ok")
    return redirect(url_for("users.index"))


@bp.post("/<int:user_id>")
@require("admin")
def change(user_id: int):
    if user_id == g.user.id:
        flash(_("不能修改自己的角色或停用自己。"), "error")
        return redirect(url_for("users.index"))
    try:
        with write() as conn:
            accounts.set_active(conn, user_id, request.form.get("active") == "1", request.form.get("role") or None)
    except Refused as refused:
        flash(str(refused), "error")
    else:
        flash(_("已保存。停用的用户立即退出所有会话。"), "ok")
    return redirect(url_for("users.index"))
