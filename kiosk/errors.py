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
