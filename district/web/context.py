"""What every view needs: the settings, the database and the outbound loop's bell."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator

from flask import current_app
from sqlalchemy.engine import Connection, Engine

from kiosk.base.clock import utc_now

from ..db.engine import reading, writing
from ..settings import Settings


@dataclass
class Console:
    settings: Settings
    engine: Engine
    wake: Callable[[str | None], None]
    clock: Callable[[], datetime] = utc_now


def console() -> Console:
    return current_app.extensions["district"]


@contextmanager
def read() -> Iterator[Connection]:
    with reading(console().engine) as conn:
        yield conn


@contextmanager
def write() -> Iterator[Connection]:
    with writing(console().engine) as conn:
        yield conn


def now() -> datetime:
    return console().clock()
