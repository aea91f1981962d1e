"""The slip a resident takes home after asking for help: the request number and a QR code.

Chinese always, plus the resident's language when it is not Chinese. The
phone number is printed masked, and a door-step request's address shows its
building only: the slip may be lost.
"""

from __future__ import annotations

from typing import Callable

from ..base.clock import local_text
from ..base.ports import PrintJob
from ..base.texts import translator
from ..config import Config
from .address import masked_text
from .desk import HelpRequest
from .words import TIMES


def request_qr(request_id: str) -> str:
    return f"vstation:request:{request_id}"


def help_slip(config: Config, req: HelpRequest, lang: str) -> Callable[[PrintJob], None]:
    """Compose the slip of a new help request, in Chinese and in `lang`."""
    category = config.help.category(req.category)
    names = {d.id: d.text for d in category.details} if category else {}
    created = local_text(req.created_at, config.station.timezone)
    languages = ["zh"] if lang == "zh" else ["zh", lang]

    def compose(job: PrintJob) -> None:
        for code in languages:
            job.text(config.station.name.get(code) or config.station.name["zh"], align="center", bold=True)
        for code in languages:
            _ = translator(code)
            job.text(_("求助单"), align="center", bold=True)
        job.rule()
        job.text(req.number, align="center", scale=4, bold=True)
        for code in languages:
            _ = translator(code)
            if category:
                job.text(category.name.get(code) or category.name["zh"], align="center")
            for detail in req.details:
                text = names.get(detail, {"zh": detail})
                job.text("· " + (text.get(code) or text["zh"]))
            job.text(_("希望时间：%(t)s", t=_(TIMES[req.preferred_time])))
            job.text(_("联系电话：%(p)s", p=req.phone_masked))
        if req.address:                          # the slip may be lost: the building, not the door
            for code in languages:
                _ = translator(code)
                job.text(_("上门地址：%(a)s", a=masked_text(config.help, req.address, _, code)))
        job.rule()
        job.qr(request_qr(req.id), size=5)
        for code in languages:
            _ = translator(code)
            job.text(_("凭求助号可在屏幕上「我要求助」里查进度、评价。"), align="center")
        job.text(created, align="center")
        job.feed(1)
        job.cut()

    return compose
