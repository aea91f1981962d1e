"""Where a door-step request (上门服务) is to be done: a building of the community, its unit, the door number.

Residents do not type at the kiosk: they tap one of the configured
buildings (`[[help.buildings]]`), then its unit, then key in the door number
on the keypad. An address is personal data like the phone number: in full
only on the assigned member's open task; masked (the building alone) on the
slip, the other screens and in events; never logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ..config.help import HelpSettings
from .words import N_

DOOR = re.compile(r"[0-9]{1,5}")
Translate = Callable[..., str]

FULL = N_("%(building)s %(unit)s 单元 %(door)s 室")
FULL_NO_UNIT = N_("%(building)s %(door)s 室")
MASKED = N_("%(building)s（门牌号已隐去）")


@dataclass(frozen=True)
class Address:
    building: str                    # a [[help.buildings]] id
    unit: str                        # "" when the building has no units
    door: str                        # digits only, as keyed in


def full_text(settings: HelpSettings, address: Address, _: Translate, lang: str = "zh") -> str:
    """The whole address, for the member who takes the task."""
    building = _building_name(settings, address, lang)
    if address.unit:
        return _(FULL, building=building, unit=address.unit, door=address.door)
    return _(FULL_NO_UNIT, building=building, door=address.door)


def masked_text(settings: HelpSettings, address: Address, _: Translate, lang: str = "zh") -> str:
    """The building alone: enough to see where, not which door (slip, other screens)."""
    return _(MASKED, building=_building_name(settings, address, lang))


def _building_name(settings: HelpSettings, address: Address, lang: str) -> str:
    found = settings.building(address.building)
    if found is None:                   # the district removed the building since: its id still says where
        return address.building
    return found.name.get(lang) or found.name["zh"]
