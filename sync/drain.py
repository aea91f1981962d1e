"""Outbox drain: packs of events in seq order on `events` (QoS 1), forgotten only on the district's ack.

A cursor walks the outbox from the district's last acknowledgement. Packs go
out while fewer than `max_inflight` wait for their PUBACK and the district is
at most `window_packs` packs (messages) and `window_packs * pack_events`
events behind; that window is the flow control that keeps the broker's queue
for the district (mosquitto `max_queued_messages`, which counts messages and
drops silently) from overflowing. A pack refused by the broker (reason ≥
0x80, e.g. 135 not authorised) moves the cursor back to it and pauses with
back-off: no event is ever skipped; a reconnect ends the pause. A reconnect,
or no ack progress for `ack_timeout_s`, re-sends from the acknowledgement; the
district de-duplicates by event id. An acknowledgement names an epoch
(kiosk/base/outbox.py): it covers a prefix of the outbox. Only a few packs are
ever in memory, whatever the backlog.

The drain reads the outbox through a `Backlog`: the station's own is
`OutboxBacklog` (the SQLite outbox); the light station twins of the fleet
benchmark (tests/twin/) keep theirs in memory and run this very drain, so
they pack, window and re-send exactly as a station does.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Protocol

from kiosk.base import outbox
from kiosk.base.clock import now_rfc3339

log = logging.getLogger("sync.drain")

REFUSED = 0x80                 # PUBACK reason codes from here on are failures
NO_CONN = 4                    # paho: not connected now, the message waits in paho for the reconnect


@dataclass(frozen=True)
class Tuning:
    """Knobs of the drain; the defaults are the production values."""
    pack_events: int = 100
    pack_bytes: int = 256 * 1024
    max_inflight: int = 8             # packs waiting for their PUBACK (paho max_inflight too)
    window_packs: int = 32            # packs sent beyond the district's acknowledgement (and × pack_events events)
    ack_timeout_s: float = 30.0       # no ack progress this long: re-send from the ack (doubles, ≤ 10 min)
    retry_min_s: float = 1.0          # pause after a refused pack (doubles, ≤ retry_max_s)
    retry_max_s: float = 60.0
    poll_s: float = 0.1               # how often an idle agent looks for new events
    forget_every_s: float = 1.0       # acknowledged events are deleted in batches, at most this often
    resubscribe_s: float = 5.0        # a refused subscription is asked again after this (doubles, ≤ 60 s)


@dataclass(frozen=True)
class Pack:
    """Consecutive events first..last, encoded as one `events` payload."""
    first: int
    last: int
    count: int
    payload: bytes


Publish = Callable[[bytes], tuple[int, int]]      # payload → (mid, paho rc)


class Backlog(Protocol):
    """The events a drain sends: the station's outbox, or a twin's in memory."""

    def epoch(self) -> int:
        """The current epoch."""

    def acked_seq(self) -> int:
        """The last seq forgotten on an acknowledgement."""

    def last_seq(self) -> int:
        """The seq of the last event written, forgotten or not."""

    def take(self, after_seq: int, limit: int) -> list[outbox.Event]:
        """Up to `limit` events after `after_seq`, in seq order."""

    def ack_position(self, epoch: int, upto_seq: int) -> int:
        """The seq up to which an ack of (epoch, upto_seq) covers the backlog."""

    def forget(self, upto_seq: int) -> int:
        """Drop the events up to `upto_seq`; how many went."""


class OutboxBacklog:
    """The station's SQLite outbox as a drain's backlog (kiosk/base/outbox.py)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def epoch(self) -> int:
        return outbox.current_epoch(self.conn).epoch

    def acked_seq(self) -> int:
        return outbox.acked_seq(self.conn)

    def last_seq(self) -> int:
        return outbox.last_seq(self.conn)

    def take(self, after_seq: int, limit: int) -> list[outbox.Event]:
        return outbox.take(self.conn, after_seq=after_seq, limit=limit)

    def ack_position(self, epoch: int, upto_seq: int) -> int:
        return outbox.ack_position(self.conn, epoch, upto_seq)

    def forget(self, upto_seq: int) -> int:
        return outbox.forget(self.conn, upto_seq)


def build_pack(backlog: Backlog, after_seq: int, *, max_events: int, max_bytes: int,
               ts: str) -> Pack | None:
    """The next pack after `after_seq`: ≤ max_events and ≤ max_bytes (one event always goes)."""
    return encode_pack(backlog.take(after_seq, max_events), max_bytes=max_bytes, ts=ts)


def encode_pack(events: list[outbox.Event], *, max_bytes: int, ts: str) -> Pack | None:
    """The leading events that fit in `max_bytes` as one `events` payload (one event always goes)."""
    if not events:
        return None
    head, tail = b'{"events":[', ('],"ts":' + json.dumps(ts) + "}").encode()
    parts: list[bytes] = []
    size = len(head) + len(tail)
    for event in events:
        part = json.dumps(event.as_message(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if parts and size + len(part) + 1 > max_bytes:
            break
        parts.append(part)
        size += len(part) + 1
    kept = events[:len(parts)]
    return Pack(first=kept[0].seq, last=kept[-1].seq, count=len(kept), payload=head + b",".join(parts) + tail)


class Drain:
    """The outbox cursor and the packs in flight; every method runs in the agent's thread."""

    def __init__(self, backlog: Backlog | sqlite3.Connection, publish: Publish, tuning: Tuning | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """`backlog`: a Backlog, or the station's database (its outbox)."""
        self.backlog: Backlog = OutboxBacklog(backlog) if isinstance(backlog, sqlite3.Connection) else backlog
        self.publish = publish
        self.tuning = tuning or Tuning()
        self.clock = clock
        self.acked = self.backlog.acked_seq()
        self.cursor = self.acked            # last seq handed to the broker on this connection
        self.delivered = self.acked         # highest seq the broker accepted (PUBACK < 0x80)
        self.high_water = 0                 # highest seq ever published by this process
        self.inflight: dict[int, Pack] = {}
        self.beyond: deque[int] = deque()   # the last seq of each pack sent on and beyond the acknowledgement
        self.epoch = self.backlog.epoch()   # changes only by a restore, with sync stopped
        self.last_error: str | None = None
        self._pause_until = 0.0
        self._retry_s = self.tuning.retry_min_s
        self._ack_clock = clock()
        self._ack_timeout = self.tuning.ack_timeout_s
        self._forgotten = self.acked        # acked_seq as stored in the database
        self._forgot_at = clock()

    # -- sending -------------------------------------------------------------
    def last_seq(self) -> int:
        """The last seq written, even when the outbox is empty (one row of sqlite_sequence: cheap to poll)."""
        return self.backlog.last_seq()

    def _window_open(self) -> bool:
        """May one more pack go? Fewer than window_packs messages and window events beyond the ack."""
        t = self.tuning
        return len(self.beyond) < t.window_packs and self.cursor - self.acked < t.window_packs * t.pack_events

    def pump(self, ts: Callable[[], str] = now_rfc3339) -> int:
        """Publish packs while the window allows; return how many events went out."""
        self._check_ack_timeout()
        self.forget()
        if self.clock() < self._pause_until:
            return 0
        t, sent, newest = self.tuning, 0, self.last_seq()
        while self.cursor < newest and len(self.inflight) < t.max_inflight and self._window_open():
            pack = build_pack(self.backlog, self.cursor, max_events=t.pack_events, max_bytes=t.pack_bytes, ts=ts())
            if pack is None:
                break
            mid, rc = self.publish(pack.payload)
            if rc not in (0, NO_CONN):
                log.debug("paho did not take the pack of seq %d-%d (rc %d); trying again", pack.first, pack.last, rc)
                break
            if self.cursor == self.acked:
                self._ack_clock = self.clock()
            self.inflight[mid] = pack
            self.beyond.append(pack.last)
            self.cursor = pack.last
            self.high_water = max(self.high_water, pack.last)
            sent += pack.count
        if self.cursor >= newest and not self.inflight:
            self.forget(now=True)           # idle: no reason to wait
        return sent

    def published(self, mid: int, code: int, reason: str) -> bool:
        """A PUBACK came back: below 0x80 the pack is delivered, else it goes again later; False: not a pack."""
        pack = self.inflight.pop(mid, None)
        if pack is None:
            return False                    # birth, goodbye, or a pack from before a rewind
        if code >= REFUSED:
            self._refused(pack, code, reason)
            return True
        self.delivered = max(self.delivered, pack.last)
        if self.last_error:
            log.info("events accepted by the broker again (seq %d-%d)", pack.first, pack.last)
            self.last_error = None
        self._retry_s = self.tuning.retry_min_s
        return True

    def _refused(self, pack: Pack, code: int, reason: str) -> None:
        """Go back to the refused pack, remember the error, pause with back-off."""
        error = f"broker refused events: {reason} ({code})"
        if error != self.last_error:
            log.error("%s; seq %d-%d stay in the outbox, retrying in %.0f s", error, pack.first, pack.last,
                      self._retry_s)
        self.last_error = error
        self.cursor = max(self.acked, min(self.cursor, pack.first - 1))
        self.inflight.clear()               # later packs will go again after this one
        self._rewound()
        self._pause_until = self.clock() + self._retry_s
        self._retry_s = min(self._retry_s * 2, self.tuning.retry_max_s)

    # -- the district's side -------------------------------------------------
    def covered(self, upto_seq: int, epoch: int | None = None) -> int | None:
        """The seq of this outbox up to which an ack of (epoch, upto_seq) covers it (no epoch: ours);
        None for an epoch newer than ours, which this station never wrote."""
        epoch = self.epoch if epoch is None else epoch
        if epoch > self.epoch:
            log.warning("ignored events/ack for epoch %d: this station's epoch is %d", epoch, self.epoch)
            return None
        return self.backlog.ack_position(epoch, upto_seq)

    def acknowledged(self, upto_seq: int, epoch: int | None = None) -> bool:
        """The district has every event up to (epoch, upto_seq): they will be forgotten (see `forget`)."""
        covered = self.covered(upto_seq, epoch)
        if covered is None:
            return False
        upto = min(covered, self.high_water)    # it cannot acknowledge what it was not sent
        if upto <= self.acked:
            return False
        self.acked = upto
        self.cursor = max(self.cursor, self.acked)
        self.delivered = max(self.delivered, self.acked)
        while self.beyond and self.beyond[0] <= self.acked:
            self.beyond.popleft()
        self._ack_clock = self.clock()
        self._ack_timeout = self.tuning.ack_timeout_s
        self.forget()
        return True

    def forget(self, *, now: bool = False) -> int:
        """Delete acknowledged events, at most every forget_every_s unless `now`; return how many went.

        One delete per second instead of one per pack spares the SD card; a
        crash in between only means those events are sent (and de-duplicated) again.
        """
        if self.acked <= self._forgotten or (not now and self.clock() - self._forgot_at < self.tuning.forget_every_s):
            return 0
        gone = self.backlog.forget(self.acked)
        self._forgotten = self.backlog.acked_seq()
        self._forgot_at = self.clock()
        return gone

    def reconnected(self) -> None:
        """A new connection: whatever the district did not acknowledge goes again, at once (a pause
        after a refused pack ends: the refusal may have been the old connection's)."""
        self.inflight.clear()
        self.cursor = self.acked
        self._rewound()
        self._pause_until = 0.0
        self._retry_s = self.tuning.retry_min_s
        self._ack_clock = self.clock()
        self._ack_timeout = self.tuning.ack_timeout_s

    def replay_from(self, seq: int) -> int:
        """Send again from `seq` (the `events.replay` command); return the first seq that will go."""
        self.cursor = min(self.cursor, max(self.acked, seq - 1))
        self._rewound()
        return self.cursor + 1

    def _rewound(self) -> None:
        """The cursor went back: packs beyond it will be sent again, and counted again then."""
        while self.beyond and self.beyond[-1] > self.cursor:
            self.beyond.pop()

    def _check_ack_timeout(self) -> None:
        """Delivered but never acknowledged (the district missed it): send again from the ack."""
        if self.cursor <= self.acked or self.inflight:
            return
        waited = self.clock() - self._ack_clock
        if waited >= self._ack_timeout:
            log.warning("no acknowledgement from the district for %.0f s: sending again from seq %d",
                        waited, self.acked + 1)
            self.cursor = self.acked
            self._rewound()
            self._ack_clock = self.clock()
            self._ack_timeout = min(self._ack_timeout * 2, 600.0)

    def stats(self) -> dict[str, object]:
        """What telemetry reports about the drain."""
        return {"sent_seq": self.cursor, "delivered_seq": self.delivered, "inflight_packs": len(self.inflight),
                "last_error": self.last_error}
