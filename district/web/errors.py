"""Error pages in words: a missing CSRF token, no right, nothing there; never a bare 500 for bad input."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_missing(error: CSRFError):
        return render_template("error.html", title=_("表单已失效"),
                               message=_("这个表单缺少有效的安全令牌（CSRF），没有执行。请重新打开页面再提交。")), 400

    @app.errorhandler(403)
    def forbidden(error: Exception):
        return render_template("error.html", title=_("没有权限"),
                               message=_("您的角色不能执行这个操作。")), 403

    @app.errorhandler(404)
    def not_found(error: Exception):
        return render_template("error.html", title=_("没有找到"), message=_("没有这个页面或站点。")), 404

    @app.errorhandler(413)
    def too_large(error: Exception):
        return render_template("error.html", title=_("文件太大"), message=_("上传的内容超过 4 MB。")), 413
