"""A refusal (`district.errors.Refused`) in the reader's words: its code says which rule, its details fill in.

The hub's modules refuse in English for logs and the command line; the
console shows the same rule in the console's language. A code without words
here falls back to the English message, with its reasons.
"""

from __future__ import annotations

from flask_babel import gettext as _

from ..errors import Refused


def _words() -> dict[str, str]:
    return {
        "bad_member": _("成员资料不正确"),
        "member_exists": _("成员 %(member)s 已在名册中"),
        "card_taken": _("卡 %(card)s 已属于成员 %(holder)s"),
        "member_inactive": _("成员 %(member)s 已停用"),
        "no_reason": _("请说明停用的原因"),
        "unknown_member": _("名册中没有成员 %(member)s"),
        "other_district": _("成员 %(member)s 属于另一个区（%(district)s）"),
        "member_is_staff": _("%(member)s 是工作人员，不能接单"),
        "unknown_reason": _("没有配置调整原因 %(reason)s（可用：%(known)s）"),
        "bad_amount": _("调整的积分必须是非零整数"),
        "amount_over_max": _("这个原因最多调整 %(max)s 分"),
        "no_overdraft": _("没有未处理的透支记录 %(id)s"),
        "unknown_request": _("没有这个求助"),
        "already_taken": _("求助 %(number)s 已被 %(member)s 接单或完成"),
        "dispatch_pending": _("求助 %(number)s 已派给 %(member)s，正在等待站点确认"),
        "bad_points": _("任务积分是 0 到 100 的整数"),
        "not_done": _("求助 %(number)s 还没有完成"),
        "bad_satisfaction": _("联系上的居民，满意度是 1 到 5"),
        "satisfaction_unreached": _("没有联系上就没有满意度"),
        "empty_range": _("请填写报表的开始和结束日期"),
        "bad_range": _("%(start)s 至 %(end)s 不是日期（年-月-日）"),
        "reversed_range": _("结束日期 %(end)s 早于开始日期 %(start)s"),
        "bad_unit": _("报表按日、周或月"),
        "range_too_long": _("一份报表最多 %(max)s 个时段，请缩短范围或按更大的单位"),
        "bad_month": _("%(month)s 不是月份（年-月）"),
        "bad_good": _("商品资料不正确"),
        "unknown_good": _("商品目录中没有 %(goods)s"),
    }


def in_words(refused: Refused) -> str:
    """The refusal as one line for a flash message, with its reasons after it."""
    template = _words().get(refused.code or "")
    try:
        text = template % refused.details if template else str(refused)
    except (KeyError, TypeError, ValueError):
        text = str(refused)
    return text + "".join(f" · {r}" for r in refused.reasons)
