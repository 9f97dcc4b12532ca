"""One vocabulary of row keys for every command that prints rows.

The same thing has the same key, heading and format wherever it appears, and keys keep one
relative order (number first, then msg_id, ...). Commands build their columns from here, and
README's "Row keys" table is checked against `COMMAND_ROWS` by a test.

Each key says how a table treats it: `fold` for free text that may wrap (message, detail,
error); everything else (numbers, msgIds, dates, codes) is never folded. `priority` says
which columns give way first when the terminal is too narrow: 0 is never dropped, higher
numbers go first (see smscli.output)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from smscli.model import ChunkState, MessageState
from smscli.output import Column

if TYPE_CHECKING:
    from smscli.gateways.base import Submitted
    from smscli.model import ChunkOutcome

# key: (heading, justify, fold, priority). Keys two commands share come in the same order in
# both (a test checks every pair in COMMAND_ROWS).
_VOCABULARY: dict[str, tuple[str, str, bool, int]] = {
    # --- a message (send, batch, report, history --number, history show)
    "number": ("Number", "left", False, 0),
    "msg_id": ("Message ID", "left", False, 0),
    "order_id": ("Order ID", "left", False, 6),
    "job": ("Job", "right", False, 0),
    "chunk": ("Chunk", "right", False, 7),
    "sent": ("Sent", "left", False, 3),
    "created": ("Created", "left", False, 0),
    "profile": ("Profile", "left", False, 5),
    "provider": ("Provider", "left", False, 8),
    "kind": ("Kind", "left", False, 7),
    "outcome": ("Outcome", "left", False, 2),
    "error": ("Error", "left", True, 4),
    "status": ("Status", "left", False, 0),
    "time": ("Time", "left", False, 3),
    "code": ("Code", "right", False, 5),
    "detail": ("Detail", "left", True, 4),
    "source": ("Source", "left", False, 8),
    # --- lookup and inbox
    "direction": ("Dir", "left", False, 0),
    "to": ("To", "left", False, 6),
    "content": ("Content", "left", True, 3),
    "sender": ("Sender", "left", False, 6),
    # --- a job's counts (history)
    "numbers": ("Numbers", "right", False, 1),
    "accepted": ("Accepted", "right", False, 2),
    "rejected": ("Rejected", "right", False, 2),
    "unknown": ("Unknown", "right", False, 2),
    "not_sent": ("Not sent", "right", False, 3),
    "delivered": ("Delivered", "right", False, 2),
    "failed": ("Failed", "right", False, 2),
    "pending": ("Pending", "right", False, 2),
    "message": ("Message", "left", True, 6),
    # --- a request (history show --chunks)
    "state": ("State", "left", False, 0),
    "first": ("First", "left", False, 4),
    "last": ("Last", "left", False, 4),
    "attempts": ("Attempts", "right", False, 6),
    "sends": ("Sends", "right", False, 5),
    "error_code": ("Error code", "right", False, 5),
    "started": ("Started", "left", False, 7),
    "finished": ("Finished", "left", False, 7),
    # --- a planned request (send/batch --dry-run)
    "request": ("Request", "right", False, 0),
    "method": ("Method", "left", False, 6),
    "url": ("URL", "left", False, 5),
    "elements": ("Elements", "right", False, 3),
    "messages": ("Messages", "right", False, 3),
    "headers": ("Headers", "left", True, 0),
    "body": ("Body", "left", True, 0),
}

# The words for a delivery state, whichever command recorded or shows it (report, history,
# lookup, sync): `detail` used to depend on the path (issue 15 QA: "failed at the carrier",
# "the carrier did not deliver it", or empty for one failed message).
STATE_WORDS: Final[dict[str, str]] = {
    "delivered": "delivered",
    "failed": "failed at the carrier",
    "pending": "sending: no delivery report yet",
    "not_found": "not found yet (still queued, or an unknown id)",
    "unknown": "unknown delivery state",
}
# Reasons that only restate the state (the gateway clients' and older smscli versions' words,
# still in histories): shown as the state's words, never appended to them.
_RESTATED: Final = frozenset({
    "delivered", "failed", "failed at the carrier", "the carrier did not deliver it",
    "sending: no delivery report yet", "unknown status", "unknown delivery state",
})


def delivery_detail(
    status: str | None, code: object = None, reason: str | None = None, *, at: str | None = None
) -> str:
    """`detail` for a delivery state: the state's words, then the gateway's own reason when it
    says more, the gateway's status code of a failure, and (lookup, whose `time` is the send
    time) when the state was reached. No state: the reason alone (or nothing)."""
    if not status:
        return reason or ""
    words = STATE_WORDS.get(status, status)
    restated = not reason or reason.strip() in _RESTATED or reason == words
    specific = None if restated else reason
    if specific and status not in ("delivered", "failed"):
        # "not found yet ...", "no delivery report yet, and ...": smscli's own verdicts.
        words = specific
        specific = None
    if at is not None and status in ("delivered", "failed"):
        words += f" at {at}"
    if specific:
        words += f": {specific}"
    if status == "failed" and code is not None and str(code) not in ("", "0"):
        words += f" (gateway status {code})"
    return words


def columns(*keys: str) -> list[Column]:
    """Columns for `keys`, with the vocabulary's heading, alignment and table behaviour."""
    result = []
    for key in keys:
        heading, justify, fold, priority = _VOCABULARY[key]
        result.append(Column(key, heading, justify, fold=fold, priority=priority))
    return result


# Every command's row keys, in order: README's "Row keys" table must list exactly these.
SEND = ("number", "msg_id", "order_id", "outcome", "error")
BATCH_EXTRA = ("content", "sender")
REPORT = ("number", "msg_id", "status", "time", "code", "detail", "source")
HISTORY_JOBS = (
    "job", "created", "profile", "provider", "kind", "status", "numbers", "accepted",
    "rejected", "unknown", "not_sent", "delivered", "failed", "pending", "message",
)  # fmt: skip
HISTORY_NUMBER = (
    "number", "msg_id", "order_id", "job", "sent", "profile", "provider", "outcome", "error",
    "status", "time", "code", "detail", "message",
)  # fmt: skip
HISTORY_SHOW = (
    "number", "msg_id", "order_id", "chunk", "outcome", "error", "status", "time", "code",
    "detail",
)  # fmt: skip
HISTORY_CHUNKS = (
    "chunk", "state", "numbers", "first", "last", "attempts", "sends", "error_code", "error",
    "started", "finished",
)  # fmt: skip

LOOKUP = (
    "number", "msg_id", "job", "profile", "direction", "status", "time", "detail", "content",
    "source",
)  # fmt: skip
INBOX = ("number", "msg_id", "to", "time", "content")

COMMAND_ROWS: dict[str, tuple[str, ...]] = {
    "send": SEND,
    "batch": SEND,
    "report": REPORT,
    "history": HISTORY_JOBS,
    "history --number": HISTORY_NUMBER,
    "history show": HISTORY_SHOW,
    "history show (batch job)": HISTORY_SHOW + BATCH_EXTRA,
    "history show --chunks": HISTORY_CHUNKS,
    "lookup": LOOKUP,
    "inbox": INBOX,
}


# -- a send's rows: one per number, from its request's outcome ---------------------------------

NOT_LISTED = "rejected by the gateway (left out of its accepted list)"
UNTRACKED = "sent, but the gateway gave no message id: its delivery cannot be tracked"


def error_text(outcome: ChunkOutcome) -> str:
    """The `error` of the rows of a request that was not accepted."""
    if outcome.state is ChunkState.NOT_SENT and outcome.error is None:
        return "not sent: stopped before this request"
    err = outcome.error
    text = err.message if err else outcome.state.value
    if outcome.state is ChunkState.UNKNOWN:
        return f"outcome unknown: {text}"
    if outcome.state is ChunkState.NOT_SENT:
        return f"not sent: {text}"
    return text


def rows_for(outcome: ChunkOutcome) -> Iterator[dict[str, object]]:
    """The rows of one request's outcome (SEND keys): outcome is accepted, rejected (refused
    requests included), unknown or not_sent, as in the history."""
    chunk = outcome.chunk
    ids = chunk.order_ids
    accepted, rejected = MessageState.ACCEPTED.value, MessageState.REJECTED.value
    if outcome.state is ChunkState.ACCEPTED and outcome.result is not None:
        untracked = set(outcome.untracked)
        # A batch chunk can hold a number more than once (different contents): each
        # occurrence takes the next msgId listed for it, in the gateway's answer order.
        by_number: dict[str, list[Submitted]] = {}
        for s in outcome.result.accepted:
            by_number.setdefault(s.number, []).append(s)
        for i, number in enumerate(chunk.numbers):
            listed = by_number.get(number)
            sub = listed.pop(0) if listed else None
            if sub is None and number in untracked:
                yield {
                    "number": number,
                    "msg_id": None,
                    "order_id": (ids[i] if ids else None),
                    "outcome": accepted,
                    "error": UNTRACKED,
                }
                continue
            yield {
                "number": number,
                "msg_id": sub.msg_id if sub else None,
                "order_id": (sub.order_id if sub and sub.order_id else None)
                or (ids[i] if ids else None)
                or None,
                "outcome": accepted if sub is not None else rejected,
                "error": None if sub else NOT_LISTED,
            }
        # A number the gateway rewrote (e.g. reformatted) still gets its msgId shown.
        for sub in [s for rest in by_number.values() for s in rest]:
            yield {
                "number": sub.number,
                "msg_id": sub.msg_id,
                "order_id": sub.order_id,
                "outcome": accepted,
                "error": None,
            }
        return
    # Unknown and not sent say so; anything else without a usable answer is rejected as far
    # as its numbers go, a refused request included (the history records them the same way;
    # the summary names --resend-refused).
    state = (
        outcome.state.value
        if outcome.state in (ChunkState.UNKNOWN, ChunkState.NOT_SENT)
        else rejected
    )
    text = error_text(outcome)
    for i, number in enumerate(chunk.numbers):
        yield {
            "number": number,
            "msg_id": None,
            "order_id": (ids[i] if ids else None) or None,
            "outcome": state,
            "error": text,
        }
