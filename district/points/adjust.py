"""Adjustments by district staff: points added or taken for a configured reason, within its largest amount.

The reasons are the district's (`[[balances.reason]]` in district.toml),
so every adjustment can be explained later; a reason not configured, an
amount of zero or beyond the reason's largest, or a member not in the
register (or deactivated) is refused and nothing is written. The entry is
the district's own (`adjust:<reason>`), counted in the member's balance at
once; the next roster carries it to every station.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from ..errors import Refused
from ..members import register
from ..settings import BalanceSettings
from . import ledger

PREFIX = "adjust:"


def adjust(conn: Connection, rules: BalanceSettings, member_id: str, amount: int, reason_id: str, *, note: str,
           by: str, now: datetime) -> ledger.Recorded:
    """Write one adjustment entry; Refused (nothing written) when a rule says no."""
    reason = rules.reason(reason_id)
    if reason is None:
        raise Refused(f"no adjustment reason {reason_id!r} is configured", code="unknown_reason",
                      reason=reason_id, known=", ".join(r.id for r in rules.reasons))
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise Refused("an adjustment moves a whole, non-zero number of points", code="bad_amount", amount=amount)
    if abs(amount) > reason.max:
        raise Refused(f"{reason_id} allows at most {reason.max} points", code="amount_over_max",
                      amount=amount, max=reason.max)
    member = register.get(conn, member_id)
    if member is None:
        raise Refused(f"no member {member_id!r} in the register", code="unknown_member", member=member_id)
    if not member.active:
        raise Refused(f"member {member_id} is deactivated", code="member_inactive", member=member_id)
    return ledger.record_district_entry(conn, member_id, amount, PREFIX + reason.id, author=by,
                                        note=(note or "").strip()[:200], now=now)
