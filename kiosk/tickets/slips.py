"""What goes on paper for the queue: the ticket (the day's report is kiosk/upkeep/day_report.py).

Chinese always, plus the resident's language when it is not Chinese, on every
line that has words (station, service, priority, wait, reprint, footer), so a
Tibetan reader meets no Chinese-only line (the printer driver turns Tibetan
into an image). The QR code carries the ticket
id, so the kiosk or staff can find the ticket again.
"""

from __future__ import annotations

from typing import Callable

from ..base.clock import local_text
from ..base.ports import PrintJob
from ..base.texts import translator
from ..config import Config
from .calling import Issued


def ticket_qr(ticket_id: str) -> str:
    return f"vstation:ticket:{ticket_id}"


def ticket_slip(config: Config, issued: Issued, lang: str, *, reprinted_at: str | None = None
                ) -> Callable[[PrintJob], None]:
    """Compose the ticket for `issued`, in Chinese and in `lang`; a reprint by staff says so, with its time."""
    ticket = issued.ticket
    service = config.service(ticket.service)
    taken = local_text(ticket.issued_at, config.station.timezone)
    languages = ["zh"] if lang == "zh" else ["zh", lang]
    minutes = (issued.estimated_wait_s + 59) // 60

    def compose(job: PrintJob) -> None:
        for code in languages:
            job.text(config.station.name.get(code) or config.station.name["zh"], align="center", bold=True)
        for code in languages:
            job.text(service.name.get(code) or service.name["zh"], align="center")
        job.rule()
        job.text(ticket.number, align="center", scale=4, bold=True)
        for code in languages if ticket.priority else []:
            _ = translator(code)
            job.text("★ " + _("优先") + " ★", align="center", bold=True)
        for code in languages:
            _ = translator(code)
            if issued.ahead:
                job.text(_("前面还有 %(n)d 人，预计等候约 %(m)d 分钟", n=issued.ahead, m=minutes), align="center")
            else:
                job.text(_("您是下一位，请留意叫号。"), align="center")
        job.rule()
        job.qr(ticket_qr(ticket.id), size=5)
        job.text(taken, align="center")
        for code in languages if reprinted_at else []:
            _ = translator(code)
            job.text(_("补打 %(at)s", at=local_text(reprinted_at, config.station.timezone)), align="center")
        for code in languages:
            _ = translator(code)
            job.text(_("请保管好此票，过号请重新取号。"), align="center")
        job.feed(1)
        job.cut()

    return compose
