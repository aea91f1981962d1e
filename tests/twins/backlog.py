"""A twin's outbox, in memory: the `sync.drain.Backlog` the station's drain runs on.

seq grows by one per event, as in the station's outbox; events are kept
until an acknowledgement covers them, never by age. The creation time of
each event (monotonic) is kept for the end-to-end figures: from written to
acknowledged by the district.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from typing import Any, Callable

from kiosk.base.clock import now_rfc3339
from kiosk.base.outbox import Epoch, Event


class MemoryBacklog:
    """Unacknowledged events of one twin, in seq order; one epoch (a twin is never restored)."""

    def __init__(self, epoch: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._epoch = epoch
        self.clock = clock
        self.events: deque[Event] = deque()
        self.written_at: deque[float] = deque()
        self._acked = 0
        self._last = 0

    # -- the Backlog protocol (sync/drain.py) ----------------------------------
    def epoch(self) -> int:
        return self._epoch

    def acked_seq(self) -> int:
        return self._acked

    def last_seq(self) -> int:
        return self._last

    def take(self, after_seq: int, limit: int) -> list[Event]:
        start = max(0, after_seq - self._acked)
        return [self.events[i] for i in range(start, min(len(self.events), start + limit))]

    def ack_position(self, epoch: int, upto_seq: int) -> int:
        if epoch >= self._epoch:
            return max(self._acked, min(upto_seq, self._last))
        return self._acked                      # an older epoch: none of ours (a twin has one)

    def forget(self, upto_seq: int) -> int:
        upto = min(upto_seq, self._last)
        gone = 0
        while self._acked < upto:
            self.events.popleft()
            self.written_at.popleft()
            self._acked += 1
            gone += 1
        return gone

    # -- the twin's side --------------------------------------------------------
    @property
    def current(self) -> Epoch:
        return Epoch(self._epoch, 1)

    def append(self, type_: str, data: dict[str, Any]) -> Event:
        """Write one event (the next seq), as outbox.append does in a station."""
        self._last += 1
        event = Event(seq=self._last, id=str(uuid.uuid4()), type=type_, ts=now_rfc3339(), data=data,
                      epoch=self._epoch)
        self.events.append(event)
        self.written_at.append(self.clock())
        return event

    def ages(self, after_seq: int, upto_seq: int) -> list[float]:
        """Seconds since each event after `after_seq` up to `upto_seq` was written (those still kept)."""
        now = self.clock()
        first = max(after_seq, self._acked) + 1
        last = min(upto_seq, self._last)
        return [now - self.written_at[seq - self._acked - 1] for seq in range(first, last + 1)]

    def depth(self) -> int:
        return len(self.events)

    def oldest_age_s(self) -> float | None:
        return round(self.clock() - self.written_at[0], 1) if self.written_at else None
