"""Help requests (群众点单) in `station.toml`: the categories a resident may ask for.

The district sets them: each has an id, a name in the station's languages and
the preset details a resident taps (nobody types at the kiosk). A category
with `address = true` (door-step service, 上门服务) also asks where: the
resident picks one of the community's `[[help.buildings]]` and its unit, and
keys in the door number on the keypad. Part of `station.toml` (see
kiosk/config/station.py for the file as a whole).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .reader import Table, show

Localized = dict[str, str]


@dataclass(frozen=True)
class HelpDetail:
    """One preset detail of a category ("代买饭菜", "水龙头漏水", …)."""
    id: str
    text: Localized


@dataclass(frozen=True)
class HelpCategory:
    id: str
    name: Localized
    details: tuple[HelpDetail, ...] = ()
    address: bool = False            # door-step service: asks for the resident's address


@dataclass(frozen=True)
class Building:
    """A building of the community a door-step request may name ("绕赛小区 3 栋"), with its units (单元)."""
    id: str
    name: Localized
    units: tuple[str, ...] = ()      # empty: the building has no units


@dataclass(frozen=True)
class HelpSettings:
    categories: tuple[HelpCategory, ...] = ()
    buildings: tuple[Building, ...] = ()
    dispatch_alert_minutes: int = 30     # a request not dispatched after this long is a staff alert

    def category(self, category_id: object) -> HelpCategory | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def building(self, building_id: object) -> Building | None:
        return next((b for b in self.buildings if b.id == building_id), None)


_ID = r"[a-z0-9-]{1,32}"
_ID_TEXT = "lower-case letters, digits and '-'"


def help_settings(t: Table) -> HelpSettings:
    """Read `[help]`: its `[[help.categories]]` with their `[[help.categories.details]]`, and `[[help.buildings]]`."""
    buildings = _buildings(t)
    categories = []
    for c in t.tables("categories"):
        details = []
        for d in c.tables("details"):
            details.append(HelpDetail(id=d.text("id", pattern=_ID, expected=_ID_TEXT), text=d.localized("text")))
            d.done()
        c.unique("details", [d.id for d in details])
        address = c.flag("address", False)
        if address and not buildings:
            c.problems.add(c.key("address"), "found true, expected [[help.buildings]] for the resident to choose "
                           "from (nobody types an address at the kiosk)")
        categories.append(HelpCategory(id=c.text("id", pattern=_ID, expected=_ID_TEXT), name=c.localized("name"),
                                       details=tuple(details), address=address))
        c.done()
    t.unique("categories", [c.id for c in categories])
    alert_minutes = t.integer("dispatch_alert_minutes", 30, low=1)
    t.done()
    return HelpSettings(categories=tuple(categories), buildings=buildings, dispatch_alert_minutes=alert_minutes)


def _buildings(t: Table) -> tuple[Building, ...]:
    found = []
    for b in t.tables("buildings"):
        units = b.texts("units", [])
        for unit in units:
            if not re.fullmatch(r"[0-9A-Za-z]{1,4}", unit):
                b.problems.add(b.key("units"), f"found {show(unit)}, expected units such as \"1\", \"2\" or \"A\" "
                               "(1 to 4 letters or digits)")
        b.unique("units", units, what="unit")
        found.append(Building(id=b.text("id", pattern=_ID, expected=_ID_TEXT), name=b.localized("name"),
                              units=tuple(units)))
        b.done()
    t.unique("buildings", [b.id for b in found])
    return tuple(found)
