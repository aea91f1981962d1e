"""Logging in and out of the console, and who may do what (admin, dispatcher, viewer).

The session cookie holds a random token; the session itself (user, idle and
absolute expiry, revocation) is in the hub's database. A request without a
live session goes to the login page (an htmx request is told to go there);
one whose session ran out is told so.
"""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import Blueprint, Flask, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import accounts
from .context import console, now, write

bp = Blueprint("auth", __name__)
COOKIE = "district_login"
OPEN_ENDPOINTS = {"auth.login", "static", "lang.switch"}


def init_app(app: Flask) -> None:
    app.before_request(_load_user)
    app.context_processor(lambda: {"user": g.get("user")})


def _load_user() -> Any:
    g.user = None
    token = request.cookies.get(COOKIE)
    if token:
        with write() as conn:
            g.user = accounts.session_user(conn, token, now(), console().settings.console.idle_minutes)
    if g.user is None and request.endpoint not in OPEN_ENDPOINTS:
        if token:
            flash(_("会话已过期，请重新登录。"), "warning")
        target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
        if request.headers.get("HX-Request"):
            response = make_response("", 401)
            response.headers["HX-Redirect"] = target
            return response
        response = redirect(target)
        if token:
            response.delete_cookie(COOKIE)
        return response
    return None


def require(right: str) -> Callable:
    """The view needs the signed-in user to have `right` (view, dispatch, publish, admin)."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if g.user is None or not g.user.may(right):
                abort(403)
            return view(*args, **kwargs)
        return checked
    return decorate


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html")
    username = request.form.get("username", "").strip()
    with write() as conn:                  # a failure is counted and committed, so the waits grow
        try:
            user = accounts.login(conn, username, request.form.get("password", ""), now())
        except accounts.LoginRefused as refused:
            message = (_("尝试次数过多，请等待 %(seconds)d 秒后再试。", seconds=refused.wait_s) if refused.wait_s
                       else _("用户名或密码错误。"))
            return render_template("login.html", error=message, username=username), 401
        token = accounts.open_session(conn, user, now(), console().settings.console.session_hours)
    target = request.args.get("next") or url_for("board.index")
    response = redirect(target if target.startswith("/") and not target.startswith("//") else url_for("board.index"))
    settings = console().settings.console
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict",
                        secure=bool(settings.tls_cert) or settings.behind_proxy,
                        max_age=settings.session_hours * 3600)
    return response


@bp.post("/logout")
def logout():
    token = request.cookies.get(COOKIE)
    if token:
        with write() as conn:
            accounts.close_session(conn, token, now())
    response = redirect(url_for("auth.login"))
    response.delete_cookie(COOKIE)
    return response
