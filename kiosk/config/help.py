"""Help requests (群众点单) in `station.toml`: the categories a resident may ask for.

The district sets them: each has an id, a name in the station's languages and
the preset details a resident taps (nobody types at the kiosk). Part of
`station.toml` (see kiosk/config/station.py for the file as a whole).
"""

from __future__ import annotations

from dataclasses import dataclass

from .reader import Table

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


@dataclass(frozen=True)
class HelpSettings:
    categories: tuple[HelpCategory, ...] = ()

    def category(self, category_id: object) -> HelpCategory | None:
        return next((c for c in self.categories if c.id == category_id), None)


_ID = r"[a-z0-9-]{1,32}"
_ID_TEXT = "lower-case letters, digits and '-'"


def help_settings(t: Table) -> HelpSettings:
    """Read `[help]` with its `[[help.categories]]` and their `[[help.categories.details]]`."""
    categories = []
    for c in t.tables("categories"):
        details = []
        for d in c.tables("details"):
            details.append(HelpDetail(id=d.text("id", pattern=_ID, expected=_ID_TEXT), text=d.localized("text")))
            d.done()
        c.unique("details", [d.id for d in details])
        categories.append(HelpCategory(id=c.text("id", pattern=_ID, expected=_ID_TEXT), name=c.localized("name"),
                                       details=tuple(details)))
        c.done()
    t.unique("categories", [c.id for c in categories])
    t.done()
    return HelpSettings(categories=tuple(categories))
