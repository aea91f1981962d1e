"""vstation: the station kiosk and its core rules.

This package must stay light to import: the sync process imports the core
without pulling in Flask or the drivers.
"""

__version__ = "0.1.0"
