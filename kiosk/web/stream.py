"""Server-Sent Events: hardware notices pushed to the open screen the moment they happen."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, stream_with_context

from .context import station

bp = Blueprint("stream", __name__)

HEARTBEAT_S = 15.0


def sse(event: str, html: str) -> str:
    """One SSE message; each line of the fragment becomes its own `data:` line."""
    lines = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
    return f"event: {event}\n{lines}\n"


@bp.get("/events")
def events():
    """The screen's notice stream, rendered in the language the screen was opened in."""
    bus = station().bus
    sub = bus.subscribe()

    @stream_with_context
    def generate():
        try:
            yield "retry: 1000\n\n"
            while True:
                notice = sub.get(HEARTBEAT_S)
                if notice is None:
                    yield ": keep-alive\n\n"
                    continue
                html = render_template(f"notices/{notice.kind}.html", **notice.data)
                yield sse(notice.kind, html)
        finally:
            sub.close()

    return Response(generate(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
