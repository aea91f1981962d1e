"""Print jobs on the screens: one job's progress (for a page that missed a live notice), the staff's list and reprint.

A resident's page shows its slip's progress and follows it on the live
stream (`print` notices); when the stream (re)connects the page asks
`/print/job/<id>` once, so a change in between is not missed. Staff see the
latest jobs with how each ended and reprint one on purpose: a failed job
is never printed again by itself.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..printing.jobs import PrintRefusal
from ..printing.spooler import print_status
from .context import station
from .staff import staff_required

bp = Blueprint("printing", __name__, url_prefix="/print")
staff_bp = Blueprint("staff_print", __name__, url_prefix="/staff/print")
WHAT = {"ticket": _l("号票"), "receipt": _l("兑换凭证"), "help_request": _l("求助单"), "report": _l("报表"),
        "test_page": _l("测试页")}
STATES = {"queued": _l("等候打印"), "sending": _l("正在打印"), "printed": _l("已打印"), "failed": _l("没有打印")}
PRINTER = {"ok": _l("正常"), "paper_low": _l("纸快用完了"), "paper_out": _l("缺纸"), "offline": _l("打印机离线"),
           "unknown": _l("打印机没有回答，状态不明")}
FAULTS = {"paper_out": _l("缺纸"), "offline": _l("打印机离线"), "stale": _l("等太久，已不打印"),
          "interrupted": _l("打印时程序中断，可能只打了一半"), "error": _l("打印机出错")}


@staff_bp.context_processor
def _capture() -> dict[str, str]:
    return {"card_mode": "capture"}


@bp.get("/job/<int:job_id>")
def job_status(job_id: int):
    """One job's progress, as the fragment a page shows (and replaces on each `print` notice)."""
    job = station().printing.job(job_id)
    if job is None:
        abort(404)
    return render_template("_print_status.html", pj=print_status(job))


def _local(text: str | None, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(text).astimezone(zone).strftime("%H:%M:%S") if text else ""


@staff_bp.get("/")
@staff_required
def jobs():
    """The latest print jobs, newest first, with how each ended and a reprint button."""
    st = station()
    zone = ZoneInfo(st.config.station.timezone)
    rows = [{"job": j, "what": WHAT.get(j.what, j.what), "state": STATES[j.state.value],
             "fault": FAULTS.get(j.fault or "", j.fault or ""), "at": _local(j.created_at, zone),
             "number": _number(st, j.what, j.ref)} for j in st.printing.recent(30)]
    state = st.printer_state()
    return render_template("staff/print_jobs.html", rows=rows, printer=PRINTER.get(state, state), printer_word=state)


def _number(st, what: str, ref: str | None) -> str:
    """The ticket number a ticket job prints (what staff and residents know it by)."""
    if what != "ticket" or not ref:
        return ""
    try:
        return st.queue.get(st.db(), ref).number
    except Exception:   # the ticket is gone (an old day): the job still shows
        return ""


@staff_bp.post("/<int:job_id>/reprint")
@staff_required
def reprint(job_id: int):
    try:
        station().printing.reprint(job_id, by=g.staff["id"])
    except PrintRefusal as exc:
        flash(_("没有找到这个打印任务。") if exc.code == "no_such_job" else _("这个任务还没有打完。"))
    else:
        flash(_("已重新打印。"))
    return redirect(url_for("staff_print.jobs"))
