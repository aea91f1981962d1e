"""Sending a signed command to a station from its page, and seeing what became of it."""

from __future__ import annotations

import json

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from .. import commands
from ..errors import Refused
from .auth import require
from .context import console, now, write

bp = Blueprint("commands", __name__, url_prefix="/stations")


@bp.post("/<station_id>/commands")
@require("dispatch")
def send(station_id: str):
    name = request.form.get("name", "")
    text = request.form.get("args", "").strip() or "{}"
    try:
        args = json.loads(text)
        if not isinstance(args, dict):
            raise ValueError
    except ValueError:
        flash(_("参数必须是一个 JSON 对象，例如 {\"slot\": \"U1\", \"reason\": \"检修\"}。"), "error")
        return redirect(url_for("station.page", station_id=station_id, _anchor="commands"))
    try:
        with write() as conn:
            sent = commands.create(conn, station_id, name, args, by=g.user.username, now=now())
    except Refused as refused:
        flash(_("命令没有发送：%(why)s", why=str(refused)) + "".join(f" · {r}" for r in refused.reasons), "error")
        return redirect(url_for("station.page", station_id=station_id, _anchor="commands"))
    console().wake(station_id)
    flash(_("命令 %(name)s 已签名发送（%(id)s），结果会显示在下面。", name=name, id=sent.command_id), "ok")
    return redirect(url_for("station.page", station_id=station_id, _anchor="commands"))
