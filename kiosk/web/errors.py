"""Error answers: JSON under /api/, a friendly screen elsewhere; never a stack trace."""

from __future__ import annotations

import logging
import sqlite3

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, SecurityError

from ..base import store

log = logging.getLogger(__name__)
BUSY_RETRY_S = 10           # what a 503 tells the caller to wait when another process holds the database


def api_error(status: int, code: str, message: str, **extra: object):
    """The one shape of every API error: {"error": code, "message": text} (and the figures of some codes)."""
    return jsonify(error=code, message=message, **extra), status


def _is_api() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError):
        if _is_api():
            return api_error(400, "csrf", exc.description)
        return render_template("error.html", title=_("页面已过期"),
                               message=_("请回到首页重新操作。")), 400

    @app.errorhandler(SecurityError)
    def untrusted_host(exc: SecurityError):
        # No URLs can be built for a host we do not serve: answer in plain words (JSON under /api/).
        if _is_api():
            return api_error(400, "untrusted_host", "this kiosk answers only on 127.0.0.1, localhost or ::1")
        return "This kiosk answers only on 127.0.0.1.", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # a 405 keeps its Allow header (RFC 9110: the methods the resource does support)
        allow = {"Allow": ", ".join(exc.valid_methods)} if isinstance(exc, MethodNotAllowed) and exc.valid_methods else {}
        if _is_api():
            code = (exc.name or "error").lower().replace(" ", "_")
            body, status = api_error(exc.code or 400, code, exc.description or exc.name)
            return body, status, allow
        return render_template("error.html", title=_("找不到这个页面") if exc.code == 404 else _("出错了"),
                               message=_("请回到首页重新操作。")), exc.code, allow

    @app.errorhandler(sqlite3.OperationalError)
    def database_error(exc: sqlite3.OperationalError):
        if not store.is_busy(exc):
            return unexpected(exc)
        log.warning("%s %s: the database stayed locked by another process (%s)", request.method, request.path, exc)
        retry = {"Retry-After": str(BUSY_RETRY_S)}
        if _is_api():
            body, status = api_error(503, "busy", "the station database is held by another process; "
                                     f"try again in {BUSY_RETRY_S} s")
            return body, status, retry
        return render_template("error.html", title=_("请稍等"), message=_("系统正忙，请过一会儿再试。")), 503, retry

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        log.exception("unexpected error on %s %s", request.method, request.path)
        if _is_api():
            return api_error(500, "internal", "unexpected error; it has been logged")
        return render_template("error.html", title=_("出错了"),
                               message=_("请向工作人员求助。")), InternalServerError.code
