"""One station: its health, alerts, telemetry charts, event log, documents and commands."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, jsonify, render_template, request

from .. import board, commands, documents
from ..ingest import health, positions
from .auth import require
from .context import console, now, read

bp = Blueprint("station", __name__, url_prefix="/stations")
CHART_HOURS = (1, 6, 24, 24 * 7)


def _station(conn, station_id: str):
    found = board.one(conn, station_id, now(), console().settings.alerts)
    if found is None:
        abort(404)
    return found


@bp.get("/<station_id>")
@require("view")
def page(station_id: str):
    with read() as conn:
        station = _station(conn, station_id)
        context = {"station": station, "positions": positions.of_station(conn, station_id),
                   "events": board.event_log(conn, station_id, limit=50),
                   "event_total": board.event_count(conn, station_id),
                   "documents": documents.status(conn, station_id), "kinds": documents.KINDS,
                   "commands": commands.recent(conn, station_id, limit=20), "command_names": commands.NAMES}
    return render_template("station.html", **context)


@bp.get("/<station_id>/events")
@require("view")
def events(station_id: str):
    kind = request.args.get("type", "").strip()[:64] or None
    with read() as conn:
        _station(conn, station_id)
        rows = board.event_log(conn, station_id, kind=kind, limit=200)
    return render_template("_events.html", events=rows, kind=kind or "")


@bp.get("/<station_id>/commands")
@require("view")
def command_list(station_id: str):
    with read() as conn:
        _station(conn, station_id)
        rows = commands.recent(conn, station_id, limit=20)
    return render_template("_commands.html", commands=rows, moment=now())


@bp.get("/<station_id>/telemetry.json")
@require("view")
def telemetry(station_id: str):
    """The telemetry history for the charts: times in the district's zone, one series per figure."""
    hours = request.args.get("hours", "24")
    hours_n = int(hours) if hours.isdigit() and int(hours) in CHART_HOURS else 24
    zone = console().settings.zone
    with read() as conn:
        _station(conn, station_id)
        rows = health.history(conn, station_id, now() - timedelta(hours=hours_n))
    return jsonify({
        "times": [r.received_at.astimezone(zone).strftime("%m-%d %H:%M:%S") for r in rows],
        "tickets_waiting": [r.tickets_waiting for r in rows],
        "outbox_depth": [r.outbox_depth for r in rows],
        "oldest_age_min": [None if r.outbox_oldest_age_s is None else round(r.outbox_oldest_age_s / 60, 1)
                           for r in rows],
        "cpu_temp_c": [r.cpu_temp_c for r in rows],
        "load1": [r.load1 for r in rows],
        "printer_ok": [1 if r.printer == "ok" else 0 for r in rows],
    })
