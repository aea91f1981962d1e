"""The staff's report of one local day: the queue per service, the points supermarket, and who was on duty.

On screen (the staff's report) and on paper (Chinese), from the same figures.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Callable

from ..base.clock import local_text
from ..base.ports import PrintJob
from ..config import Config
from ..members.duty import Duty, DutyHours
from ..shop.supermarket import Shop
from ..tickets.stats import daily_report


@dataclass(frozen=True)
class DayReport:
    day: str
    services: list[dict[str, Any]]
    shop: dict[str, Any]
    duty: list[DutyHours]


def day_report(conn: sqlite3.Connection, config: Config, day: str, *, shop: Shop, duty: Duty) -> DayReport:
    """Everything the day's report shows, for the local `day`."""
    return DayReport(day, daily_report(conn, config, day), shop.day_summary(conn, day), duty.day_hours(conn, day))


def report_slip(config: Config, report: DayReport) -> Callable[[PrintJob], None]:
    """The day's report on paper (Chinese): the queue, points and redemptions, duty hours."""
    zone = config.station.timezone

    def compose(job: PrintJob) -> None:
        job.text(config.station.name["zh"], align="center", bold=True)
        job.text(f"排队日报 {report.day}", align="center")
        job.rule()
        for row in report.services:
            service = config.service(row["service"])
            job.text(f"{service.prefix} {service.name['zh']}", bold=True)
            job.text(f"  取号 {row['tickets']}  办完 {row['done']}  过号 {row['no_show']}")
            if row["wait_median_min"] is not None:
                job.text(f"  等候 中位 {row['wait_median_min']} 分  90% {row['wait_p90_min']} 分")
            if row["rating_mean"] is not None:
                job.text(f"  评价 {row['ratings']} 次  平均 {row['rating_mean']} 星")
        shop = report.shop
        job.rule()
        job.text(f"兑换 {shop['redemptions']} 笔  兑出 {shop['points_spent']} 分  发放 {shop['points_issued']} 分")
        if shop.get("seeded"):
            job.text(f"  新成员 {shop['new_members']} 人，基础分共 {shop['seeded']} 分（不计入发放）")
        for name, stock in shop["low_stock"]:
            job.text(f"  库存不足：{name['zh']} 剩 {stock}")
        if report.duty:
            job.rule()
            job.text("值班", bold=True)
        for hours in report.duty:
            until = local_text(hours.last_off, zone, "time") if hours.last_off else "在岗"
            job.text(f"  {hours.name} {local_text(hours.first_on, zone, 'time')}–{until}  {duration_zh(hours.minutes)}")
        job.feed(1)
        job.cut()

    return compose


def duration_zh(minutes: int) -> str:
    """8 小时 5 分, for paper."""
    return f"{minutes // 60} 小时 {minutes % 60} 分" if minutes >= 60 else f"{minutes} 分"
