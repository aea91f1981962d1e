"""Words for the preset choices of help requests, in Chinese (the catalogs translate them).

Marked with `N_` so `make i18n` extracts them; the screens translate them
with Flask-Babel and the printed slip with `texts.translator`.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


TIMES = {"today_am": N_("今天上午"), "today_pm": N_("今天下午"), "tomorrow_am": N_("明天上午"),
         "tomorrow_pm": N_("明天下午"), "this_week": N_("这周内都可以")}
OUTCOMES = {"solved": N_("已解决"), "partly": N_("部分解决，还需跟进"), "referred": N_("已转给社区或有关部门")}
HAND_BACK_REASONS = {"no_time": N_("时间排不开"), "not_suitable": N_("不擅长这类事情"),
                     "cannot_reach": N_("联系不上居民"), "too_far": N_("路程太远")}
STEPS = {"created": N_("已提交求助"), "dispatched": N_("社区已派单给党员"), "accepted": N_("党员已接单"),
         "handed_back": N_("党员退单，等待重新派单"), "done": N_("已办结"), "rated": N_("已评价")}
STATES = {"open": N_("等待派单"), "dispatched": N_("已派单，等待党员接单"), "accepted": N_("党员已接单，正在办理"),
          "done": N_("已办结")}
