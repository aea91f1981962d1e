"""Request-side access to the running station."""

from __future__ import annotations

from flask import current_app

from ..station import Station


def station() -> Station:
    """The station this app serves."""
    return current_app.extensions["vstation"]
