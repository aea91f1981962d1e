"""What staff screens keep live: the alerts banner, and the notice stream of paired devices.

On the residents' screen staff screens listen to `/events` (in capture mode, so a tapped card is only
picked). The staff console's listener has no `/events`: a paired device listens to `/staff/events`,
which only a live staff session of that device opens. The stream is not a staff action (a console
left open still goes idle), and when the session ends (idle, sign-out elsewhere, a revoked device) the
device's screen is sent to sign-in at the next heartbeat.

A device has no card reader. A device screen that waits for a member's card (the shop's confirm, points
add/deduct) opens its stream in capture mode: the member taps at the kiosk's reader, the tap is captured
for that device's session alone (not a check-in), and only that session can claim it.
"""

from __future__ import annotations

from flask import Blueprint, g, render_template, request, session, url_for

from ..members import sessions
from .context import station
from .staff import staff_watching
from .stream import notice_stream
from .tapped import tap_owner

bp = Blueprint("staff_live", __name__, url_prefix="/staff")
PAGE_THREADS = 4      # the console's threads that device streams never take: pages always get answers


def stream_limit(threads: int) -> int:
    """How many device streams the console's `threads` hold at once (one each), leaving room for pages."""
    return max(1, threads - PAGE_THREADS)


@bp.get("/alerts")
@staff_watching
def alerts():
    """The alerts banner alone, fetched again when an `alerts` or `printer` notice comes."""
    return render_template("staff/_alerts.html")


@bp.get("/events")
@staff_watching
def events():
    """A paired device's notice stream while its staff session lives."""
    st, token, device = station(), session.get("staff_token"), g.get("device")
    start = url_for("staff.start")

    def still_wanted() -> str | None:
        try:
            signed = st.staff_session(token, touch=False)
        except sessions.SessionRefused:
            return start
        return None if signed.device_id == (device.id if device else None) else start

    capture = request.args.get("mode") == "capture"        # a screen waiting for a member's card at the kiosk
    return notice_stream(lambda: st.bus.subscribe(mode="capture" if capture else "", owner=tap_owner()), staff=True,
                         own_taps_only=True, still_wanted=still_wanted)
