"""Exceptions of the station; each also subclasses the builtin it resembles."""


class VStationError(Exception):
    """Root of every error the station raises on purpose."""


class ConfigError(VStationError, ValueError):
    """The configuration file is missing, unreadable or invalid."""


class StoreError(VStationError, OSError):
    """The station database cannot be opened, written or migrated."""


class AlreadyRunning(VStationError, RuntimeError):
    """Another process of the same role already holds the station database."""


class NotInTransaction(VStationError, RuntimeError):
    """A write that must share the caller's transaction was called outside one."""


class HardwareError(VStationError, OSError):
    """A configured device cannot be built or opened."""


class Refusal(VStationError, ValueError):
    """A rule said no, and nothing was written: the one way the core refuses an action.

    `code` is the machine word (the API's `error`, a command's `outcome`), `status` the HTTP
    status that fits it, the message says it in words for logs and integrators, and
    `details` carries the figures a screen may name (how many points are missing, …).
    Each domain names its own subclass (QueueError, ShopError, …) so callers can catch one domain.
    """

    default_status = 409

    def __init__(self, code: str, message: str, *, status: int | None = None, **details: object) -> None:
        super().__init__(message)
        self.code = code
        self.status = status or self.default_status
        self.details = details
