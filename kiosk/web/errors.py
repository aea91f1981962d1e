"""Error answers: JSON under /api/, a friendly screen elsewhere; never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

log = logging.getLogger(__name__)


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
        # No URLs can be built for a host we do not serve: answer in plain words.
        return "This kiosk answers only on 127.0.0.1.", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if _is_api():
            code = (exc.name or "error").lower().replace(" ", "_")
            return api_error(exc.code or 400, code, exc.description or exc.name)
        return render_template("error.html", title=_("找不到这个页面") if exc.code == 404 else _("出错了"),
                               message=_("请回到首页重新操作。")), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        log.exception("unexpected error on %s %s", request.method, request.path)
        if _is_api():
            return api_error(500, "internal", "unexpected error; it has been logged")
        return render_template("error.html", title=_("出错了"),
                               message=_("请向工作人员求助。")), InternalServerError.code
