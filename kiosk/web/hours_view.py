"""The opening hours and the staff on duty as the guide, home and idle screens show them.

The figures come from the core (kiosk/tickets/opening.py, kiosk/members/duty.py);
here they become words in the screen's language: today's hours, whether the
station is open now or when it opens next, the week ahead with the reason of
each exception, and who is on duty by name and role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from babel.dates import format_date, format_skeleton
from flask_babel import get_locale
from flask_babel import gettext as _

from ..config.reader import Periods
from ..config.schedule import clock_text
from ..station import Station
from ..tickets.opening import Day, Outlook, outlook
from .i18n import localized
from .refusals import opening_words


@dataclass(frozen=True)
class DayLine:
    label: str                  # 今天 / 明天 / 星期四 12月3日
    hours: str                  # 8:30–12:00、14:30–18:00, or 休息
    reason: str                 # why the day differs from the week ("" when it does not)
    today: bool


@dataclass(frozen=True)
class HoursView:
    today: str                  # today's hours in words
    reason: str                 # today's exception, if any
    now: str                    # 现在开放，到 12:00 / 下次开放：明天 8:30
    open_now: bool
    week: list[DayLine]         # the seven days from today, one line each (the guide)
    pattern: list[DayLine]      # the same days in few lines: weekdays of equal hours together, then exceptions


def periods_words(periods: Periods) -> str:
    """8:30–12:00、14:30–18:00 (休息 for none)."""
    if not periods:
        return _("休息")
    return _("、").join(f"{clock_text(a)}–{clock_text(b)}" for a, b in periods)


def day_label(day: date, today: date) -> str:
    if day == today:
        return _("今天")
    if day == today + timedelta(days=1):
        return _("明天")
    locale = str(get_locale() or "zh")
    return _("%(weekday)s %(date)s", weekday=format_date(day, "EEEE", locale=locale),
             date=format_skeleton("MMMd", day, locale=locale))


def now_words(view: Outlook, now: datetime) -> str:
    if view.open_until is not None:
        if view.open_until - now > timedelta(days=1):
            return _("现在开放，全天不休息")
        return _("现在开放，到 %(time)s", time=clock_text(view.open_until.astimezone(now.tzinfo).time()))
    when = opening_words(view.opens or {})
    return _("下次开放：%(when)s", when=when) if when else _("暂停开放，请问工作人员。")


def hours_view(station: Station) -> HoursView | None:
    """The station's hours in words, or None when its config sets no hours (the guide's text is shown)."""
    queue = station.queue
    if not station.config.queue.schedule.given:
        return None
    now = queue.clock()
    view = outlook(queue.hours(), now)
    local_now = now.astimezone(queue.zone)
    week = [_line(day, local_now.date()) for day in view.week]
    return HoursView(periods_words(view.today.periods), week[0].reason, now_words(view, local_now),
                     view.open_until is not None, week, pattern(view.week, local_now.date()))


def pattern(days: list[Day], today: date) -> list[DayLine]:
    """The week in few lines, for a screen with little room: 周一、周三、周五 8:30–12:00 …, Monday first;
    then each day an exception makes different, by its date and reason."""
    locale = str(get_locale() or "zh")
    groups: dict[Periods, list[Day]] = {}
    for day in sorted((d for d in days if not d.special), key=lambda d: d.day.weekday()):
        groups.setdefault(day.periods, []).append(day)
    lines = [DayLine(_("、").join(format_date(d.day, "E", locale=locale) for d in group), periods_words(periods),
                     "", any(d.day == today for d in group)) for periods, group in groups.items()]
    return lines + [_line(d, today) for d in days if d.special]


def _line(day: Day, today: date) -> DayLine:
    return DayLine(day_label(day.day, today), periods_words(day.periods),
                   localized(day.special.reason) if day.special else "", day.day == today)


def service_today(station: Station, service) -> str:
    """A service with hours of its own: its hours today, in words ("" when it follows the station's)."""
    if not service.schedule.given and not service.schedule.special:
        return ""
    queue = station.queue
    return periods_words(queue.hours(service).day(queue.clock().astimezone(queue.zone).date()).periods)


def on_duty(station: Station) -> list[tuple[str, str]] | None:
    """Who is on duty now, (name, role), when staff recorded duty today; None: nobody tapped today (the
    configured list is shown). The role is the one `[[guide.staff]]` gives that name, else 社工."""
    duty, conn = station.duty, station.db()
    if not duty.recorded(conn):
        return None
    roles = {p.name: p.role for p in station.config.guide.staff}
    return [(s.name, localized(roles.get(s.name)) or _("社工")) for s in duty.on_duty(conn)]
