"""Reports for district staff: per station or for the district, by day, week or month, as charts and CSV,
and a printable monthly page per station (its figures day by day and every help request with its times).

Anyone who may view sees them. A range that is empty, not dates, reversed
or too long is refused in words, and no figures are shown for it.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request

from .. import board
from ..errors import Refused
from ..reports import figures, period
from .auth import require
from .context import console, now, read
from .refusals import in_words

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _asked() -> tuple[str, str, str, str]:
    """(station, start, end, unit) from the query; this month so far by day when nothing is asked."""
    today = now().astimezone(console().settings.zone).date()
    a = request.args
    if not any(k in a for k in ("start", "end", "unit")):
        return a.get("station", ""), today.replace(day=1).isoformat(), today.isoformat(), "day"
    return a.get("station", "").strip(), a.get("start", ""), a.get("end", ""), a.get("unit", "day")


def _station_or_404(conn, station: str) -> None:
    if station and station not in {s.id for s in board.registered(conn, with_removed=True)}:
        abort(404)


def _build(conn, station: str, start: str, end: str, unit: str) -> figures.Report:
    """The report asked for (Refused for a bad range; 404 for a station never registered)."""
    _station_or_404(conn, station)
    return figures.build(conn, period.parse(start, end, unit, console().settings.zone), station or None)


@bp.get("/")
@require("view")
def index():
    station, start, end, unit = _asked()
    with read() as conn:
        stations = board.registered(conn)
        try:
            report = _build(conn, station, start, end, unit)
        except Refused as refused:
            return render_template("reports.html", report=None, error=in_words(refused), stations=stations,
                                   asked=(station, start, end, unit)), 400
    chart = {"labels": [b.label for b, _ in report.buckets],
             **{c: [f.row()[i] for _, f in report.buckets] for i, c in enumerate(figures.COLUMNS)}}
    return render_template("reports.html", report=report, error=None, stations=stations, chart=chart,
                           columns=figures.COLUMNS, asked=(station, start, end, unit), month=start[:7])


@bp.get("/export.csv")
@require("view")
def export():
    station, start, end, unit = _asked()
    with read() as conn:
        try:
            report = _build(conn, station, start, end, unit)
        except Refused as refused:
            return Response(in_words(refused) + "\n", status=400, mimetype="text/plain")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["station", unit, *figures.COLUMNS])
    for bucket, f in report.buckets:
        writer.writerow([station or "*", bucket.label, *("" if v is None else v for v in f.row())])
    writer.writerow([station or "*", "total", *("" if v is None else v for v in report.total.row())])
    name = f"report-{station or 'district'}-{start}-{end}-{unit}.csv"
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/<station_id>/month/<month>")
@require("view")
def monthly(station_id: str, month: str):
    zone = console().settings.zone
    with read() as conn:
        _station_or_404(conn, station_id)
        try:
            span = period.month(month, zone)
        except Refused as refused:
            return render_template("error.html", title=in_words(refused), message=""), 400
        report = figures.build(conn, span, station_id)
        requests = figures.requests_of_month(conn, span, station_id)
        name = next((s.name for s in board.registered(conn, with_removed=True) if s.id == station_id), station_id)
    return render_template("report_month.html", report=report, requests=requests, station_name=name,
                           station_id=station_id, month=month, columns=figures.COLUMNS, printed=now())
