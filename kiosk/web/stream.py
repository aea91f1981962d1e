"""Server-Sent Events: hardware notices pushed to the open screen the moment they happen.

waitress runs every response in one of its worker threads until the response
ends, and an event stream never ends while its screen is open. So the streams
are counted: at most `STREAM_LIMIT` are open at once (the touchscreen, the
now-serving display and a few staff devices need far fewer), the server has
that many threads on top of the ones that answer requests (kiosk/runner.py),
and a stream asked for past the limit is answered at once with `503` and
`Retry-After`; the screens' scripts try again after that long. Whatever
holds the streams, health and every screen keep their own threads. The staff
console's listener (cheroot, its own pool) counts its devices' streams
(`/staff/events`, kiosk/web/staff_live.py) with a gate of its own.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from flask import Blueprint, Flask, Response, current_app, render_template, request, stream_with_context

from ..base.bus import Notice, Subscription
from .context import station

bp = Blueprint("stream", __name__)
log = logging.getLogger(__name__)

HEARTBEAT_S = 15.0
POLL_S = 0.5      # how soon a closed screen gives its server thread back
SCREEN_MODES = {"capture"}   # a capturing screen (staff) picks a tapped card instead of checking it in
STREAM_LIMIT = 8             # open event streams at once (each holds a server thread)
KIOSK = "kiosk"              # the owner of the residents' screen's streams (and of the taps it captures)
RETRY_AFTER_S = 10           # a stream refused past the limit is asked to try again this much later


class StreamGate:
    """Counts the open event streams of one app; `enter` is refused past the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._free = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self._open = 0
        self.closing = threading.Event()

    def close(self) -> None:
        """The server is stopping: every open stream ends at its next poll (a stream's thread would otherwise
        wait for its next heartbeat, and cheroot's stop waits for every thread)."""
        self.closing.set()

    def enter(self) -> bool:
        """Take a place for one more stream, or False when all are taken (never waits)."""
        if not self._free.acquire(blocking=False):
            return False
        with self._lock:
            self._open += 1
        return True

    def leave(self) -> None:
        """Give the place of a stream that ended back."""
        with self._lock:
            self._open -= 1
        self._free.release()

    @property
    def open(self) -> int:
        with self._lock:
            return self._open


def init_app(app: Flask) -> None:
    """Give the app its stream gate (`STREAM_LIMIT` in its config, else the default) and the blueprint."""
    init_gate(app, STREAM_LIMIT)
    app.register_blueprint(bp)


def init_gate(app: Flask, limit: int) -> None:
    """The app's stream gate alone (`STREAM_LIMIT` in its config, else `limit`): the console has no `/events`."""
    app.extensions["vstation.streams"] = StreamGate(app.config.get("STREAM_LIMIT", limit))


def _for_screen(notice: Notice, owner: str, own_taps_only: bool) -> dict[str, Any] | None:
    """What of a notice this screen is shown (None: nothing): a tap captured for another screen is not its."""
    tapped_for = notice.data.get("owner")
    if notice.kind != "card" or tapped_for == owner:
        return notice.data
    if own_taps_only:
        return None
    return notice.data if tapped_for is None else {**notice.data, "tap": "", "elsewhere": True}


def sse(event: str, html: str) -> str:
    """One SSE message; each line of the fragment becomes its own `data:` line."""
    lines = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
    return f"event: {event}\n{lines}\n"


@bp.get("/events")
def events():
    """The screen's notice stream, rendered in the language the screen was opened in."""
    mode = request.args.get("mode", "")
    staff = request.args.get("who") == "staff"    # staff screens are also told what to fix (the printer)
    return notice_stream(lambda: station().bus.subscribe(mode=mode if mode in SCREEN_MODES else "", owner=KIOSK),
                         staff=staff)


def notice_stream(subscribe: Callable[[], Subscription], *, staff: bool, own_taps_only: bool = False,
                  still_wanted: Callable[[], str | None] = lambda: None) -> Response:
    """Stream notices as SSE until the browser goes away, within the app's stream gate (503 past it).

    A card tap captured for another screen reaches the kiosk without its tap id (the resident is told
    where it went), and a staff device (`own_taps_only`) hears of no card but those captured for it.
    At each heartbeat `still_wanted()` may name a page to go to instead (the staff session behind a
    device's stream ended): the screen is sent there with an `ended` event and the stream closes."""
    gate: StreamGate = current_app.extensions["vstation.streams"]
    if not gate.enter():
        return Response(f"retry: {RETRY_AFTER_S * 1000}\n\n", status=503, mimetype="text/event-stream",
                        headers={"Retry-After": str(RETRY_AFTER_S), "Cache-Control": "no-cache"})
    sub = subscribe()
    # waitress tells whether the browser went away (channel_request_lookahead > 0); cheroot (the staff
    # console) does not, so there a closed page holds its thread until the next heartbeat fails.
    gone = request.environ.get("waitress.client_disconnected", lambda: False)

    @stream_with_context
    def generate():
        yield "retry: 1000\n\n"
        quiet_since = time.monotonic()
        while not gone() and not gate.closing.is_set():
            notice = sub.get(POLL_S)
            if notice is None:
                if time.monotonic() - quiet_since >= HEARTBEAT_S:
                    quiet_since = time.monotonic()
                    elsewhere = still_wanted()
                    if elsewhere:
                        yield sse("ended", elsewhere)
                        return
                    yield ": keep-alive\n\n"
                continue
            quiet_since = time.monotonic()
            data = _for_screen(notice, sub.owner, own_taps_only)
            if data is None:
                continue
            try:
                html = render_template(f"notices/{notice.kind}.html", staff=staff, **data)
            except Exception:   # one notice that cannot be shown must not end the screen's stream
                log.exception("notice %s could not be rendered", notice.kind)
                continue
            yield sse(notice.kind, html)

    def ended() -> None:          # the server closes every response it was given, started or not
        sub.close()
        gate.leave()

    response = Response(generate(), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    response.call_on_close(ended)
    return response
