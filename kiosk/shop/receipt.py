"""What goes on paper for the points supermarket: the redemption receipt.

Its head (station name, title) is in Chinese and, for a resident who reads
another language, in that language too; its body (member, goods, points, staff,
receipt number) is in the resident's language, so a Tibetan reader meets no
Chinese-only line (the printer driver turns Tibetan into an image).
"""

from __future__ import annotations

from typing import Callable

from ..base.clock import local_text
from ..base.ports import PrintJob
from ..base.texts import translator
from ..config import Config
from ..members.cards import masked_name
from .supermarket import Redemption


def receipt_slip(config: Config, redemption: Redemption, member_name: str, staff_name: str,
                 names: dict[str, dict[str, str]], lang: str = "zh") -> Callable[[PrintJob], None]:
    """The redemption receipt: who (masked), what, points spent, balance after, staff, time, receipt id.

    `names`: each goods id's name by language; `lang`: the language of the screen the redemption was confirmed on.
    """
    at = local_text(redemption.ts, config.station.timezone)
    languages = ["zh"] if lang == "zh" else ["zh", lang]

    def compose(job: PrintJob) -> None:
        for code in languages:
            job.text(config.station.name.get(code) or config.station.name["zh"], align="center", bold=True)
        for code in languages:
            _ = translator(code)
            job.text(_("积分兑换凭证"), align="center", scale=2, bold=True)
        _ = translator(lang)
        job.rule()
        job.text(_("会员：%(name)s", name=masked_name(member_name)))
        for goods_id, qty, price in redemption.items:
            name = names.get(goods_id, {})
            job.text(_("%(goods)s ×%(n)d  %(p)d 分", goods=name.get(lang) or name.get("zh") or goods_id, n=qty,
                       p=qty * price))
        job.rule()
        job.text(_("共计：%(p)d 分", p=redemption.total), bold=True)
        job.text(_("兑换后余额：%(a)d 分", a=redemption.balance_now))
        job.text(_("经办：%(name)s", name=staff_name))
        job.text(at)
        job.qr(f"vstation:redemption:{redemption.id}", size=4)
        job.text(_("凭证号 %(id)s", id=redemption.id[:8]), align="center")
        job.feed(1)
        job.cut()

    return compose
