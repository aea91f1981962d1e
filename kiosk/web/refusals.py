"""The words a person is told when the core refuses: one table per domain, keyed by the refusal's code.

Every screen and flash message shows a refusal through `words`, so the same
code always reads the same in every language; the API answers the code
itself and the core's message.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable, Mapping

from babel.dates import format_date, format_skeleton
from flask_babel import get_locale
from flask_babel import gettext as _

from ..base.errors import Refusal
from ..help.desk import RequestError
from ..lockers.machine import LockerRefusal
from ..members.duty import DutyError
from ..members.ledger import LedgerError
from ..shop.supermarket import ShopError
from ..tickets.ticket import QueueError
from .i18n import localized


def words(exc: Refusal) -> str:
    """What to tell a resident, member or staff member about this refusal, in the screen's language."""
    for kind, table in ((QueueError, _queue), (ShopError, _shop), (RequestError, _help), (LockerRefusal, _lockers),
                        (LedgerError, _points), (DutyError, _duty)):
        if isinstance(exc, kind):
            said = table().get(exc.code, _("没有成功，请找工作人员。"))
            return said(exc.details) if callable(said) else said
    return _("没有成功，请找工作人员。")


def opening_words(details: Mapping[str, Any]) -> str:
    """When a closed service opens next, as people say it: 今天 18:30, 明天 8:30, a weekday within the
    week, a date further out ("" when it does not open within a year). `details` as the core gives them
    (kiosk.tickets.opening.opening_details)."""
    if not details.get("opens_at"):
        return ""
    days, time = details["opens_in_days"], details["opens_time"]
    if days == 0:
        return _("今天 %(time)s", time=time)
    if days == 1:
        return _("明天 %(time)s", time=time)
    day, locale = date.fromisoformat(details["opens_date"]), str(get_locale() or "zh")
    if days < 7:
        return _("%(weekday)s %(time)s", weekday=format_date(day, "EEEE", locale=locale), time=time)
    return _("%(date)s %(time)s", date=format_skeleton("MMMMd", day, locale=locale), time=time)


def _closed(details: Mapping[str, Any]) -> str:
    """The ticket screen's answer outside the hours: why today is different, and when to come back."""
    reason = localized(details.get("reason")) if details.get("reason") else ""
    when = opening_words(details)
    said = _("这项服务现在不取号，%(when)s 开始。", when=when) if when else _("这项服务暂停取号，请问工作人员。")
    return _("%(reason)s。%(said)s", reason=reason, said=said) if reason else said


def _queue() -> dict[str, str | Callable[[Mapping[str, Any]], str]]:
    return {"closed": _closed,
            "unknown_service": _("没有这项服务，请回到首页重新选择。"),
            "not_done": _("这项服务还没有办完，办完后再打分。"),
            "already_rated": _("这张号票已经打过分了，谢谢！"),
            "bad_rating": _("请选择一到五颗星。"),
            "queue_empty": _("现在没有人等候。"),
            "counter_busy": _("这个窗口还有号没办完：请先办完或记为过号。"),
            "wrong_counter": _("这个号不在本窗口。"),
            "bad_state": _("这个号现在不能这样操作。"),
            "not_found": _("没有找到这个号。"),
            "counter_paused": _("这个窗口已暂停叫号。"),
            "counter_closed": _("这个窗口已关闭。"),
            "not_no_show": _("只有过号的号才能重新排队。"),
            "other_service": _("这个号不是本窗口办理的业务。"),
            "not_waiting": _("这个号现在不在等候。"),
            "unknown_counter": _("没有这个窗口。"),
            "bad_counter_state": _("请选择开放、暂停或关闭。")}


def _over_limit(d: Mapping[str, Any]) -> str:
    """The goods, its limit per member and period, and how many the member may still take in that period."""
    per = {"day": _("每人每天限兑 %(n)d 件", n=d["limit"]), "week": _("每人每周限兑 %(n)d 件", n=d["limit"]),
           "month": _("每人每月限兑 %(n)d 件", n=d["limit"])}[d["period"]]
    goods, left = localized(d["goods"]), d["limit"] - d["taken"]
    if left > 0:
        return _("%(goods)s超过限兑数量（%(per)s），这次还能兑 %(n)d 件。", goods=goods, per=per, n=left)
    return _("%(goods)s超过限兑数量（%(per)s），这期间不能再兑了。", goods=goods, per=per)


def _shop() -> dict[str, str | Callable[[Mapping[str, Any]], str]]:
    return {"over_balance": lambda d: _("积分不够：需要 %(total)d 分，现有 %(balance)d 分，还差 %(shortfall)d 分。", **d),
            "out_of_stock": lambda d: _("%(goods)s库存不够：只剩 %(stock)d 件。", goods=localized(d["goods"]),
                                        stock=d["stock"]),
            "over_limit": _over_limit,
            "bad_quantity": _("数量不对。"),
            "unknown_goods": _("没有这件商品。"),
            "empty_cart": _("还没有选商品。"),
            "unknown_member": _("没有这位会员。"),
            "already_voided": _("这笔兑换已经作废过了。"),
            "not_today": _("只能作废今天的兑换。"),
            "no_reason": _("请选择作废原因。"),
            "key_reused": _("这张确认单已经用过了，请会员重新刷卡。"),
            "no_key": _("页面已过期，请会员重新刷卡。"),
            "bad_kind": _("请选择入库（增加）或盘点（实际数量）。")}


def _help() -> dict[str, str]:
    return {"unknown_category": _("没有这类求助，请回到首页重新选择。"),
            "bad_phone": _("手机号码不对：请输入 11 位手机号码，以 1 开头。"),
            "unknown_detail": _("请从列出的选项里选择。"),
            "bad_time": _("请选择希望的时间。"),
            "no_consent": _("需要您同意把电话号码告诉接单的党员。"),
            "not_found": _("没有找到这个求助号，请核对后再试。"),
            "not_done": _("这件事还没有办结，办结后再评价。"),
            "already_rated": _("这件事已经评价过了，谢谢！"),
            "bad_stars": _("请选择一到五颗星。"),
            "not_yours": _("这个任务没有派给您。"),
            "already_accepted": _("您已经接过这个任务了。"),
            "not_accepted": _("请先接单，办完后再点办结。"),
            "already_done": _("这个任务已经办结了。"),
            "bad_outcome": _("请选择办理结果。"),
            "bad_reason": _("请选择退单原因。"),
            "bad_building": _("请从列出的楼栋里选择。"),
            "bad_unit": _("请选择单元。"),
            "bad_door": _("门牌号不对：请输入 1 到 5 位数字。"),
            "no_address": _("这类求助不需要地址。")}


def _lockers() -> dict[str, str]:
    return {"unknown_card": _("这张卡还没有登记，借伞请先到服务台登记。"),
            "already_borrowed": _("您已经借了一把伞，请先归还。"),
            "none_available": _("现在没有空闲的格子，请找工作人员。"),
            "no_space": _("伞架已满，请把伞交给工作人员。"),
            "already_deposited": _("这张卡已经存了一部手机。"),
            "nothing_deposited": _("这张卡没有存手机。"),
            "no_card": _("请刷卡。"),
            "busy": _("这个格子正在使用，请稍等。")}


def _duty() -> dict[str, str]:
    return {"not_staff": _("上岗、下岗请刷工作人员卡；会员卡请在首页刷卡签到。"),
            "unknown_card": _("这张卡还没有登记，请找站点负责人。")}


def _points() -> dict[str, str | Callable[[Mapping[str, Any]], str]]:
    return {"unknown_item": _("请选择一个加减分项目。"),
            "unknown_member": _("没有这位会员。"),
            "over_balance": lambda d: _("积分不够扣：现有 %(balance)d 分，还差 %(shortfall)d 分。", **d),
            "key_reused": _("这张表已经记过一次了，请会员重新刷卡。"),
            "no_key": _("页面已过期，请会员重新刷卡。")}
