"""What goes on paper for the points supermarket: the redemption receipt."""

from __future__ import annotations

from typing import Callable

from ..base.clock import local_text
from ..base.ports import PrintJob
from ..config import Config
from ..members.cards import masked_name
from .supermarket import Redemption


def receipt_slip(config: Config, redemption: Redemption, member_name: str, staff_name: str,
                 names: dict[str, str]) -> Callable[[PrintJob], None]:
    """The redemption receipt: who (masked), what, points spent, balance after, staff, time, receipt id."""
    at = local_text(redemption.ts, config.station.timezone)

    def compose(job: PrintJob) -> None:
        job.text(config.station.name["zh"], align="center", bold=True)
        job.text("积分兑换凭证", align="center", scale=2, bold=True)
        job.rule()
        job.text(f"会员：{masked_name(member_name)}")
        for goods_id, qty, price in redemption.items:
            job.text(f"{names.get(goods_id, goods_id)} ×{qty}  {qty * price} 分")
        job.rule()
        job.text(f"共计：{redemption.total} 分", bold=True)
        job.text(f"兑换后余额：{redemption.balance_now} 分")
        job.text(f"经办：{staff_name}")
        job.text(at)
        job.qr(f"vstation:redemption:{redemption.id}", size=4)
        job.text(f"凭证号 {redemption.id[:8]}", align="center")
        job.feed(1)
        job.cut()

    return compose
