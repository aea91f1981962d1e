"""The district's help requests (群众点单 → 社区派单 → 党员接单): what each station reported, and return visits.

Tables on the hub's one `metadata` (district/db/schema.py), built by the
Alembic revision 0003. `help_requests` is the read model of every station's
`request.*` events (district/help/track.py), one row per request, with
the state of the latest event by (epoch, seq), so events that arrive out of
order still leave the right state; `request_steps` keeps each step once (by
event id) for the request's history. A dispatch from the console is a signed
`request.dispatch` command (`dispatch_command_id`) until the station's
`request.dispatched` event says it happened. `return_visits` are the
dispatcher's calls after a request is done (回访).
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from .schema import SERIAL, Moment, metadata

help_requests = Table(
    "help_requests", metadata,
    Column("id", String(64), primary_key=True),                 # the station's request uuid
    Column("station_id", String(64), ForeignKey("stations.id", ondelete="CASCADE"), nullable=False),
    Column("number", String(16)),
    Column("category", String(64)),
    Column("details", JSON),
    Column("preferred_time", String(16)),
    Column("building", String(64)),
    Column("lang", String(8)),
    Column("created_at", Moment),                               # the station's clock at request.created
    Column("state", String(16), nullable=False),                # open | dispatched | accepted | done
    Column("state_epoch", BigInteger, nullable=False),          # the (epoch, seq) of the event that set it
    Column("state_seq", BigInteger, nullable=False),
    Column("member_id", String(32)),
    Column("points", Integer, nullable=False, default=0),
    Column("dispatched_at", Moment),
    Column("accepted_at", Moment),
    Column("done_at", Moment),
    Column("outcome", String(16)),
    Column("handed_back_at", Moment),
    Column("handed_back_reason", String(32)),
    Column("handed_back_by", String(32)),
    Column("rated_at", Moment),
    Column("stars", Integer),
    Column("dispatch_command_id", String(64)),                  # a dispatch asked, until the station did it
    Column("dispatch_member_id", String(32)),
    Column("dispatch_by", String(64)),
    Column("dispatch_asked_at", Moment),
    Column("updated_at", Moment, nullable=False),
    Index("ix_help_requests_state_created", "state", "created_at"),
    Index("ix_help_requests_member", "member_id"),
    Index("ix_help_requests_station_created", "station_id", "created_at"),
)

request_steps = Table(
    "request_steps", metadata,
    Column("event_id", String(64), primary_key=True),
    Column("request_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),                 # created, dispatched, accepted, done, handed_back, rated
    Column("at", Moment, nullable=False),
    Column("member_id", String(32)),
    Column("detail", String(64)),                               # outcome, reason, stars, points
    Index("ix_request_steps_request", "request_id", "at"),
)

return_visits = Table(
    "return_visits", metadata,
    Column("id", SERIAL, primary_key=True, autoincrement=True),
    Column("request_id", String(64), ForeignKey("help_requests.id", ondelete="CASCADE"), nullable=False),
    Column("reached", Boolean, nullable=False),
    Column("satisfaction", Integer),                            # 1-5; none when the resident was not reached
    Column("note", Text, nullable=False, default=""),
    Column("by", String(64), nullable=False),
    Column("at", Moment, nullable=False),
    Index("ix_return_visits_request", "request_id"),
    Index("ix_return_visits_at", "at"),
)
