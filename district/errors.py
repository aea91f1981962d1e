"""Exceptions of the district hub, each also subclassing the builtin it resembles."""

from __future__ import annotations


class DistrictError(Exception):
    """Root of every error the hub raises on purpose; the command line prints it and exits 2."""


class SettingsError(DistrictError, ValueError):
    """district.toml is missing, unreadable or invalid (every problem with its key)."""


class RegistryError(DistrictError, ValueError):
    """A station id that is not valid, already registered, or not registered."""


class Refused(DistrictError, ValueError):
    """A request from the console that breaks a rule; `reasons` says which, in words for staff.

    `code` names the rule for the console (district/web/refusals.py puts it into the reader's language
    with `details`); the message is the same in English, for logs and the command line.
    """

    def __init__(self, message: str, reasons: list[str] | None = None, *, code: str | None = None,
                 **details: object) -> None:
        super().__init__(message)
        self.reasons = reasons or []
        self.code = code
        self.details = details
