"""What a counter's physical call button means: next calls the next number, recall calls the number at the
counter again, done finishes it. A press that can do nothing (nobody waiting, nothing at the counter) is
refused like the same tap on the screen."""

from __future__ import annotations

import sqlite3

from .calling import Queue
from .ticket import QueueError, TicketState

BUTTON_ACTIONS = {"next": "call_next", "recall": "recall", "done": "done"}


def button_press(queue: Queue, conn: sqlite3.Connection, counter: str, button: str) -> tuple[str, str | None]:
    """(the counter action, the ticket it acts on) for a press of `button` at `counter`."""
    action = BUTTON_ACTIONS.get(button)
    if action is None:
        raise QueueError("unknown_button", f"no button {button!r}; buttons: {', '.join(BUTTON_ACTIONS)}")
    if action == "call_next":
        return action, None
    current = queue.at_counter(conn, counter)
    if current is None:
        raise QueueError("nothing_called", f"counter {counter} has no number called", status=404)
    if action == "recall" and current.state is not TicketState.CALLED:
        raise QueueError("bad_state", f"{current.number} is being served: nothing to call again")
    return action, current.id
