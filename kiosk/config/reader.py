"""Typed reading of one TOML table, collecting every problem with its key.

The station refuses to start on a bad configuration, and the person fixing it
stands at a Raspberry Pi with a text editor: each problem names the key, the
value found and what was expected, and all problems are reported at once.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from datetime import time as dtime
from typing import Any, Iterable

_MISSING = object()
Periods = tuple[tuple[dtime, dtime], ...]
BROKER = re.compile(r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9.-]+))(?::(?P<port>[0-9]{1,5}))?")
PERIOD = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])")


def show(value: Any) -> str:
    """Render a config value the way it would be written in TOML."""
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        short = len(value) <= 6 and all(isinstance(v, (str, int, float)) and len(str(v)) <= 24 for v in value)
        return "[" + ", ".join(show(v) for v in value) + "]" if short else "a list"
    return str(value)


class Problems:
    """The list of problems found in one configuration file."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")

    def __bool__(self) -> bool:
        return bool(self.items)


class Table:
    """One TOML table being read; remembers which keys were used."""

    def __init__(self, data: Any, where: str, problems: Problems) -> None:
        self.where = where
        self.problems = problems
        if data is _MISSING or data is None:
            data = {}
        if not isinstance(data, dict):
            problems.add(where, f"expected a table, found {show(data)}")
            data = {}
        self.data: dict[str, Any] = data
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def _bad(self, name: str, value: Any, expected: str) -> None:
        self.problems.add(self.key(name), f"found {show(value)}, expected {expected}")

    def _get(self, name: str, default: Any) -> Any:
        self.used.add(name)
        value = self.data.get(name, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                self.problems.add(self.key(name), "is required but missing")
            return _MISSING
        return value

    def text(self, name: str, default: Any = _MISSING, *, pattern: str | None = None,
             expected: str = "a text") -> str:
        value = self._get(name, default)
        if value is _MISSING:
            return "" if default is _MISSING else default
        if not isinstance(value, str) or not value.strip():
            self._bad(name, value, expected)
            return "" if default is _MISSING else default
        if pattern and not re.fullmatch(pattern, value):
            self._bad(name, value, expected)
        return value

    def integer(self, name: str, default: Any = _MISSING, *, low: int | None = None,
                high: int | None = None) -> int:
        value = self._get(name, default)
        if value is _MISSING:
            return 0 if default is _MISSING else default
        if isinstance(value, bool) or not isinstance(value, int) \
                or (low is not None and value < low) or (high is not None and value > high):
            self._bad(name, value, _range_text("a whole number", low, high))
            return 0 if default is _MISSING else default
        return value

    def number(self, name: str, default: Any = _MISSING, *, low: float | None = None,
               high: float | None = None) -> float:
        value = self._get(name, default)
        if value is _MISSING:
            return 0.0 if default is _MISSING else float(default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or (low is not None and value < low) or (high is not None and value > high):
            self._bad(name, value, _range_text("a number", low, high))
            return 0.0 if default is _MISSING else float(default)
        return float(value)

    def flag(self, name: str, default: Any = _MISSING) -> bool:
        value = self._get(name, default)
        if value is _MISSING:
            return False if default is _MISSING else default
        if not isinstance(value, bool):
            self._bad(name, value, "true or false")
            return False if default is _MISSING else default
        return value

    def choice(self, name: str, options: Iterable[str], default: Any = _MISSING) -> str:
        options = list(options)
        value = self._get(name, default)
        if value is _MISSING:
            return "" if default is _MISSING else default
        if value not in options:
            self._bad(name, value, "one of " + ", ".join(options))
        return value  # an invalid choice is already reported; it matches no branch below

    def texts(self, name: str, default: Any = _MISSING) -> list[str]:
        value = self._get(name, default)
        if value is _MISSING:
            return [] if default is _MISSING else list(default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self._bad(name, value, "a list of texts")
            return []
        return list(value)

    def brokers(self, name: str, default_port: int) -> tuple[tuple[str, int], ...]:
        """A list of "HOST", "HOST:PORT" or "[IPv6]:PORT" (`default_port` where none is given), each once:
        the nodes of a clustered broker (station `mqtt.hosts`, the hub's too)."""
        found: list[tuple[str, int]] = []
        for item in self.texts(name, []):
            m = BROKER.fullmatch(item)
            port = int(m["port"]) if m and m["port"] else default_port
            if m is None or not 1 <= port <= 65535:
                self.problems.add(self.key(name), f'found {show(item)}, expected "HOST" or "HOST:PORT" such as '
                                  '"mqtt1.district.example:8883"')
            elif (m["v6"] or m["name"], port) in found:
                self.problems.add(self.key(name), f"{show(item)} is listed twice")
            else:
                found.append((m["v6"] or m["name"], port))
        return tuple(found)

    def periods(self, name: str, default: Any = _MISSING, *, allow_empty: bool = False) -> Periods:
        """Opening periods such as ["08:30-12:00", "14:30-18:00"], local time, sorted; each problem named.

        A period ends after it starts and never runs past midnight ("24:00" ends the day); periods may
        touch but not overlap. `allow_empty`: [] means closed (a weekday, a holiday).
        """
        value = self._get(name, default)
        if value is _MISSING:
            return () if default is _MISSING else tuple(default)
        if not isinstance(value, list) or (not value and not allow_empty):
            self._bad(name, value, 'a list of periods such as ["08:30-12:00", "14:30-18:00"]'
                      + (" ([] for closed)" if allow_empty else ""))
            return ()
        found = []
        for item in value:
            period = parse_period(item)
            if isinstance(period, str):
                self._bad(name, item, period)
                return ()
            found.append((item, period))
        found.sort(key=lambda pair: pair[1])
        for (text_a, (_, end_a)), (text_b, (start_b, _)) in zip(found, found[1:]):
            if start_b < end_a:
                self.problems.add(self.key(name), f"found {show(text_b)} overlapping {show(text_a)}, "
                                  "expected periods that do not overlap")
                return ()
        return tuple(period for _, period in found)

    def day(self, name: str, default: Any = _MISSING) -> date | None:
        """A calendar date: a TOML date (2027-01-01) or the same as a text ("2027-01-01", as JSON sends it)."""
        value = self._get(name, default)
        if value is _MISSING:
            return None if default is _MISSING else default
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self._bad(name, value, 'a date such as "2027-01-01"')
        return None

    def clock_time(self, name: str, default: Any = _MISSING) -> dtime:
        """A local time of day such as "18:00"."""
        value = self._get(name, default)
        if value is _MISSING:
            return dtime(0, 0) if default is _MISSING else default
        m = re.fullmatch(r"([01][0-9]|2[0-3]):([0-5][0-9])", value) if isinstance(value, str) else None
        if not m:
            self._bad(name, value, 'a time of day such as "18:00"')
            return dtime(0, 0) if default is _MISSING else default
        return dtime(int(m[1]), int(m[2]))

    def unique(self, name: str, values: list[str], what: str = "id") -> None:
        """Report values of an array of tables that appear twice."""
        seen: set[str] = set()
        for value in values:
            if value in seen:
                self.problems.add(self.key(name), f"{what} {show(value)} appears twice, expected each {what} once")
            seen.add(value)

    def table(self, name: str) -> "Table":
        self.used.add(name)
        return Table(self.data.get(name, _MISSING), self.key(name), self.problems)

    def tables(self, name: str) -> list["Table"]:
        """An array of tables (`[[name]]`); missing means empty."""
        self.used.add(name)
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self._bad(name, value, f"one or more [[{self.key(name)}]] tables")
            return []
        return [Table(v, f"{self.key(name)}[{i}]", self.problems) for i, v in enumerate(value)]

    def localized(self, name: str, default: Any = _MISSING) -> dict[str, str]:
        """A text shown to people: one string, or a table {zh, bo, en} with zh required."""
        value = self._get(name, default)
        if value is _MISSING:
            return {} if default is _MISSING else dict(default)
        if isinstance(value, str) and value.strip():
            return {"zh": value}
        if isinstance(value, dict) and isinstance(value.get("zh"), str) \
                and set(value) <= {"zh", "bo", "en"} \
                and all(isinstance(v, str) and v.strip() for v in value.values()):
            return dict(value)
        self._bad(name, value, 'a text, or a table like { zh = "…", bo = "…", en = "…" } with zh')
        return {}

    def done(self) -> None:
        """Report keys nobody asked for: usually a typo that would be silently ignored."""
        for name in sorted(set(self.data) - self.used):
            self.problems.add(self.key(name), "is not a known key (misspelt, or in the wrong table?)")


def parse_period(item: Any) -> tuple[dtime, dtime] | str:
    """"08:30-12:00" as (start, end), or what was expected instead."""
    m = PERIOD.fullmatch(item) if isinstance(item, str) else None
    if not m or (m[3] == "24" and m[4] != "00"):
        return 'a period such as "08:30-12:00" (24-hour clock, "24:00" for midnight)'
    start, end = dtime(int(m[1]), int(m[2])), _end_time(int(m[3]), int(m[4]))
    if end <= start:
        return 'a period that ends after it starts (a period cannot run past midnight: "24:00" ends the day)'
    return start, end


def _end_time(hour: int, minute: int) -> dtime:
    """24:00 closes at the end of the day."""
    return dtime.max if hour == 24 else dtime(hour, minute)


def _range_text(kind: str, low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{kind} from {low} to {high}"
    if low is not None:
        return f"{kind} of at least {low}"
    if high is not None:
        return f"{kind} of at most {high}"
    return kind
