"""What a station offers and by which rules: services, their opening hours, the guide, points.

Part of `station.toml` (see kiosk/config/station.py for the file as a whole).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time as dtime

from .reader import Table
from .schedule import ALL_DAY, Schedule, read_schedule

Localized = dict[str, str]


@dataclass(frozen=True)
class Service:
    id: str
    prefix: str
    name: Localized
    average_minutes: int
    counters: tuple[str, ...]
    schedule: Schedule = Schedule()  # days without periods of their own follow the station's


@dataclass(frozen=True)
class QueueSettings:
    schedule: Schedule               # when tickets may be taken (local time): the week and its exceptions
    priority_advance_minutes: int    # a priority ticket counts as taken this much earlier
    recent_services: int             # how many finished services the wait estimate averages


@dataclass(frozen=True)
class StaffOnDuty:
    name: str
    role: Localized


@dataclass(frozen=True)
class Guide:
    hours: Localized
    staff: tuple[StaffOnDuty, ...] = ()
    notices: tuple[Localized, ...] = ()


@dataclass(frozen=True)
class Adjustment:
    """A staff add/deduct item from the district's list (e.g. serving in a community role)."""
    id: str
    amount: int
    label: Localized
    allow_negative: bool = False     # a deduction may take a balance below zero (else refused with the shortfall)


@dataclass(frozen=True)
class PointsSettings:
    new_member: int                 # points a new member starts with (the seed rule)
    per_hour: float                 # volunteer points per hour
    round_minutes: int              # volunteer time counts in whole steps of this, rounded down
    min_minutes: int                # shorter visits earn nothing
    daily_cap: int                  # at most this many volunteer points a day
    repeat_seconds: int             # a second tap this soon only shows the state again
    closing_time: dtime             # visits still open are checked out at this local time …
    auto_cap_minutes: int           # … counting at most this long, flagged
    adjustments: tuple[Adjustment, ...] = ()


def services(root: Table) -> tuple[Service, ...]:
    found = []
    for s in root.tables("services"):
        found.append(Service(
            id=s.text("id", pattern=r"[a-z0-9-]{1,32}", expected="lower-case letters, digits and '-'"),
            prefix=s.text("prefix", pattern=r"[A-Z]", expected="one capital letter such as \"A\""),
            name=s.localized("name"),
            average_minutes=s.integer("average_minutes", 10, low=1, high=240),
            counters=tuple(s.texts("counters", ["1"])),
            schedule=read_schedule(s, default=None),
        ))
        s.done()
    root.unique("services", [s.id for s in found])
    root.unique("services", [s.prefix for s in found], what="prefix")
    return tuple(found)


def queue(t: Table) -> QueueSettings:
    settings = QueueSettings(
        schedule=read_schedule(t, default=ALL_DAY),
        priority_advance_minutes=t.integer("priority_advance_minutes", 15, low=0, high=240),
        recent_services=t.integer("recent_services", 20, low=1, high=1000),
    )
    t.done()
    return settings


def guide(t: Table) -> Guide:
    staff = []
    for s in t.tables("staff"):
        staff.append(StaffOnDuty(name=s.text("name"), role=s.localized("role", {"zh": "社工", "en": "Social worker"})))
        s.done()
    notices = []
    for n in t.tables("notices"):
        notices.append(n.localized("text"))
        n.done()
    guide = Guide(hours=t.localized("hours", {"zh": "每天 9:00–18:00", "en": "Daily 9:00–18:00"}),
                  staff=tuple(staff), notices=tuple(notices))
    t.done()
    return guide


def points(t: Table) -> PointsSettings:
    adjustments = []
    for a in t.tables("adjust"):
        adjustments.append(Adjustment(
            id=a.text("id", pattern=r"[a-z0-9-]{1,32}", expected="lower-case letters, digits and '-'"),
            amount=a.integer("amount", low=-1000, high=1000),
            label=a.localized("label"),
            allow_negative=a.flag("allow_negative", False),
        ))
        a.done()
    t.unique("adjust", [a.id for a in adjustments])
    settings = PointsSettings(
        new_member=t.integer("new_member", 10, low=0, high=10_000),
        per_hour=t.number("per_hour", 1.0, low=0, high=100),
        round_minutes=t.integer("round_minutes", 30, low=1, high=240),
        min_minutes=t.integer("min_minutes", 30, low=0, high=600),
        daily_cap=t.integer("daily_cap", 8, low=0, high=1000),
        repeat_seconds=t.integer("repeat_seconds", 120, low=0, high=3600),
        closing_time=t.clock_time("closing_time", dtime(18, 0)),
        auto_cap_minutes=t.integer("auto_cap_minutes", 120, low=0, high=1440),
        adjustments=tuple(adjustments),
    )
    t.done()
    return settings
