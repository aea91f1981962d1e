"""The small JSON API for integration and tests (DESIGN §4.3), stable under /api/v1."""

from __future__ import annotations

from flask import Blueprint, jsonify

from .. import __version__, outbox, store
from .context import station
from .openapi import document

bp = Blueprint("api", __name__, url_prefix="/api/v1")

FAULTS = {"paper_out", "offline"}


@bp.get("/health")
def health():
    """Is the station serving, and how is each device? `degraded` when a device faults."""
    st = station()
    hardware = st.hardware_state()
    conn = st.db()
    degraded = hardware["printer"] in FAULTS or hardware["card_reader"] == "offline"
    return jsonify(
        status="degraded" if degraded else "ok",
        station=st.id,
        version=__version__,
        hardware=hardware,
        database={"schema": store.schema_version(conn), "outbox_depth": outbox.depth(conn)},
    )


@bp.get("/openapi.json")
def openapi():
    return jsonify(document(__version__))
