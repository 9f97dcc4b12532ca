"""The states and results a send or batch job works with: what a request (chunk) holds, what
became of it, what a run did, and one tally of numbers by outcome. Plain values, no I/O:
the engine (smscli.sending), the job layer (smscli.jobs), the history and the rows all speak
this vocabulary.

The gateway's own answers (SendResult, Submitted, Report, DeliveryStatus) are in
smscli.gateways.base, beside the clients that build them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from operator import itemgetter
from typing import TYPE_CHECKING

from smscli.errors import ErrorKind, ExitCode, GatewayError, NetworkError, kind_exit

if TYPE_CHECKING:
    from collections.abc import Sequence

    from smscli.errors import SmsCliError
    from smscli.gateways.base import DeliveryStatus, SendResult


class ChunkState(StrEnum):
    """What became of one request, as the history records it."""

    ACCEPTED = "accepted"  # the gateway answered status 0 (some numbers may still be left out)
    REJECTED = "rejected"  # the gateway answered with an error: nothing in it was sent
    UNKNOWN = "unknown"  # no usable answer after the request may have arrived
    NOT_SENT = "not_sent"  # never left: stopped before it, or provably not delivered
    # The gateway refused the whole request with a status that means it processed none of it
    # (balance, authentication, IP, locked account, pricing): counted as rejected, but a
    # resume sends it again when asked to (--resend-refused), once the cause is fixed.
    REFUSED = "refused"


class MessageState(StrEnum):
    """What became of one number of a request: the `outcome` of its row. A refused request's
    numbers are `rejected` (the summary names --resend-refused)."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    NOT_SENT = "not_sent"
    # Only in the history, while the job's process lives: recorded, not yet answered.
    PLANNED = "planned"
    SENDING = "sending"


class JobKind(StrEnum):
    SEND = "send"  # one text (and sender) for every number
    BATCH = "batch"  # a content (and sender) per number


class JobStatus(StrEnum):
    RUNNING = "running"  # its process holds the job's lock (a dead process's job: interrupted)
    DONE = "done"  # every request answered, accepted or rejected
    INTERRUPTED = "interrupted"  # some requests unsent or unanswered: resumable


@dataclass(slots=True)
class Chunk:
    """One request's worth of numbers and what they are sent: the text travels here for
    `send` and `batch` alike. A plain send's chunks share one `text` and `sender`; a batch
    chunk carries one content and sender per number (`contents`, `sender_ids`).

    `keys`: the integers the numbers were made from, when the chunk was made from a list kept
    as integers (a NumberList): positive, within 64 bits, str() of each its number (so each
    is the number's history key, history.keys.key), stored as they are instead of reading
    each number back from its text."""

    index: int
    numbers: list[str]
    order_ids: list[str] | None = None
    contents: list[str] | None = None
    sender_ids: list[str | None] | None = None
    text: str | None = None
    sender: str | None = None
    # The same numbers in another form: neither compared nor shown.
    keys: Sequence[int] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a request was not (wholly) sent, as a value: made once from the exception where the
    engine catches it (`Failure.of`), or from the gateway's answer (smscli.sending.answered),
    and read back from the history as the same value (smscli.history.resume). The rows, the
    summary, the exit code and the journal read it; exceptions stay where they are raised."""

    message: str
    # The gateway's kind of error; NETWORK when there was no usable answer; None when the
    # failure was smscli's own (the history, a local check).
    kind: ErrorKind | None = None
    code: str | None = None  # the provider's own status code
    hint: str | None = None
    exit_code: int = ExitCode.REJECTED
    # No usable answer (connect error, timeout, cut): a NetworkError when it happened.
    unanswered: bool = False
    # The history failed, not the gateway: a request it could not record before it left
    # did not leave (RunResult.stopped_by), an answer it could not record is
    # RunResult.journal_error.
    history: bool = False

    @classmethod
    def of(cls, exc: SmsCliError, *, history: bool = False) -> Failure:
        if isinstance(exc, NetworkError):
            kind: ErrorKind | None = ErrorKind.NETWORK
        elif isinstance(exc, GatewayError):
            kind = exc.kind
        else:
            kind = None
        return cls(
            exc.message,
            kind=kind,
            code=exc.code if isinstance(exc, GatewayError) else None,
            hint=exc.hint,
            exit_code=int(exc.exit_code),
            unanswered=isinstance(exc, NetworkError),
            history=history,
        )

    @classmethod
    def no_answer(cls, message: str) -> Failure:
        """No usable answer: the request may have arrived (outcome unknown)."""
        return cls(message, kind=ErrorKind.NETWORK, exit_code=ExitCode.NETWORK, unanswered=True)

    @classmethod
    def said(
        cls, message: str, kind: ErrorKind = ErrorKind.REJECTED, code: str | None = None
    ) -> Failure:
        """The gateway said no, of this kind."""
        return cls(message, kind=kind, code=code, exit_code=kind_exit(kind))

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


@dataclass(slots=True)
class ChunkOutcome:
    chunk: Chunk
    state: ChunkState
    result: SendResult | None = None
    error: Failure | None = None
    attempts: int = 1
    # Accepted, but the gateway gave these numbers no usable message id (the result's
    # `untracked`, kept here as the history rebuilds it): never to be sent again, and their
    # delivery cannot be tracked. `error` then says so (smscli.sending.answered).
    untracked: tuple[str, ...] = ()


@dataclass(slots=True)
class RunResult:
    outcomes: list[ChunkOutcome] = field(default_factory=list)
    interrupted: bool = False
    # What stopped the run from starting further requests: a request's failure (a stop kind,
    # no answer) or the history failing before a request left (`Failure.history`).
    stopped_by: Failure | None = None
    # The rows could no longer be written (closed pipe, full disk): sending stopped. (Its
    # exit code is 74, or 141 for a closed pipe.)
    output_error: Failure | None = None
    # The journal could not record these answers (they are in `outcomes`, and in the rows).
    unrecorded: list[ChunkOutcome] = field(default_factory=list)
    journal_error: Failure | None = None

    def by_state(self, state: ChunkState) -> list[ChunkOutcome]:
        return [o for o in self.outcomes if o.state is state]


@dataclass(slots=True)
class Tally:
    """Numbers counted by what became of them: the send's outcome (accepted, rejected,
    unknown, not sent; `refused` is the part of `rejected` a resume may send again) and, once
    reports are in, the delivery state. One type for a run's summary, a job's counts in the
    history and a report's totals."""

    accepted: int = 0
    rejected: int = 0
    unknown: int = 0
    not_sent: int = 0
    requests: int = 0
    refused: int = 0
    delivered: int = 0
    failed: int = 0
    pending: int = 0  # known to the gateway, no final delivery state yet
    not_found: int = 0  # absent from a report: still queued, or an unknown id
    unreported: int = 0  # a report that gave no state smscli knows

    @property
    def total(self) -> int:
        return self.accepted + self.rejected + self.unknown + self.not_sent

    @property
    def waiting(self) -> int:
        return self.pending + self.not_found

    def add(self, outcome: ChunkOutcome) -> None:
        """Count one request's numbers."""
        n = len(outcome.chunk.numbers)
        state = outcome.state
        if state is not ChunkState.NOT_SENT or outcome.error is not None:
            self.requests += 1
        if state is ChunkState.ACCEPTED and outcome.result is not None:
            ok = accepted_count(outcome)
            self.accepted += ok
            self.rejected += n - ok
        elif state is ChunkState.REJECTED:
            self.rejected += n
        elif state is ChunkState.REFUSED:
            self.rejected += n
            self.refused += n
        elif state is ChunkState.UNKNOWN:
            self.unknown += n
        else:
            self.not_sent += n

    def add_status(self, status: DeliveryStatus) -> None:
        """Count one delivery report."""
        name = status.value
        if name == "unknown":
            self.unreported += 1
        else:
            setattr(self, name, getattr(self, name) + 1)

    @classmethod
    def of(cls, outcomes: list[ChunkOutcome]) -> Tally:
        tally = cls()
        for outcome in outcomes:
            tally.add(outcome)
        return tally


_number = itemgetter(0)  # Submitted.number


def accepted_count(outcome: ChunkOutcome) -> int:
    """How many of an accepted request's numbers the gateway listed (or sent untracked)."""
    result = outcome.result
    numbers = outcome.chunk.numbers
    if result is None:
        return 0
    accepted = result.accepted
    if len(accepted) == len(numbers) and list(map(_number, accepted)) == numbers:
        return len(numbers)  # the usual answer: every number listed, in order
    listed = Counter(s.number for s in accepted)
    listed.update(outcome.untracked)
    return sum((Counter(numbers) & listed).values())
