"""Server-Sent Events: hardware notices pushed to the open screen the moment they happen."""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, render_template, request, stream_with_context

from .context import station

bp = Blueprint("stream", __name__)
log = logging.getLogger(__name__)

HEARTBEAT_S = 15.0
POLL_S = 0.5      # how soon a closed screen gives its server thread back
SCREEN_MODES = {"capture"}   # a capturing screen (staff) picks a tapped card instead of checking it in


def sse(event: str, html: str) -> str:
    """One SSE message; each line of the fragment becomes its own `data:` line."""
    lines = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
    return f"event: {event}\n{lines}\n"


@bp.get("/events")
def events():
    """The screen's notice stream, rendered in the language the screen was opened in."""
    bus = station().bus
    mode = request.args.get("mode", "")
    staff = request.args.get("who") == "staff"    # staff screens are also told what to fix (the printer)
    sub = bus.subscribe(mode=mode if mode in SCREEN_MODES else "")
    # waitress tells whether the browser went away (channel_request_lookahead > 0);
    # without it a stream would hold its thread until the next heartbeat fails.
    gone = request.environ.get("waitress.client_disconnected", lambda: False)

    @stream_with_context
    def generate():
        try:
            yield "retry: 1000\n\n"
            quiet_since = time.monotonic()
            while not gone():
                notice = sub.get(POLL_S)
                if notice is None:
                    if time.monotonic() - quiet_since >= HEARTBEAT_S:
                        quiet_since = time.monotonic()
                        yield ": keep-alive\n\n"
                    continue
                quiet_since = time.monotonic()
                try:
                    html = render_template(f"notices/{notice.kind}.html", staff=staff, **notice.data)
                except Exception:   # one notice that cannot be shown must not end the screen's stream
                    log.exception("notice %s could not be rendered", notice.kind)
                    continue
                yield sse(notice.kind, html)
        finally:
            sub.close()

    return Response(generate(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
