"""The printer's test page, printed by staff (and by the district's `printer.test`) to check paper and QR."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from ..base.clock import local_text
from ..base.ports import PrintJob
from ..config import Config


def test_page(config: Config, now: datetime) -> Callable[[PrintJob], None]:
    """The staff's printer test: station name in Chinese, the local time, a QR code and a cut."""
    local = local_text(now, config.station.timezone, "seconds")

    def compose(job: PrintJob) -> None:
        job.text(config.station.name["zh"], align="center", scale=2, bold=True)
        job.text("打印测试 · Printer test", align="center")
        job.rule()
        job.text(f"站点 Station: {config.station.id}")
        job.text(f"时间 Time: {local}")
        job.text("中文标点：，。！？（）——测试", align="left")
        job.qr(f"vstation:{config.station.id}:test")
        job.feed(2)
        job.cut()

    return compose
