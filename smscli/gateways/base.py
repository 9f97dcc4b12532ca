"""The values every provider returns and the Gateway protocol the CLI talks to, which
declares what a provider can do (limits, report style, scheduling, multi-content requests,
balance unit) so that callers read it instead of probing the client.

The values themselves live beside this module, each built only when a command first needs
it (a dataclass costs start-up ~0.5 ms to create): what a send answers and plans (SendResult,
PlannedRequest: smscli.gateways.sends), a delivery report (Report: smscli.gateways.reports),
what a report call answers (ReportResult, RawAnswer: smscli.gateways.reportcalls), the balance
(Balance: smscli.gateways.balance) and a batch's elements (BatchElement:
smscli.gateways.batch). A balance builds only Balance. They stay importable from here (module
__getattr__)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple, Protocol

from smscli.errors import ErrorKind, NotSupported

if TYPE_CHECKING:
    from smscli.gateways.balance import Balance as Balance
    from smscli.gateways.batch import BatchElement as BatchElement
    from smscli.gateways.reportcalls import RawAnswer as RawAnswer
    from smscli.gateways.reportcalls import ReportResult as ReportResult
    from smscli.gateways.reports import Report as Report
    from smscli.gateways.sends import PlannedRequest as PlannedRequest
    from smscli.gateways.sends import SendResult as SendResult

_ELSEWHERE = {
    "Balance": "smscli.gateways.balance",
    "BatchElement": "smscli.gateways.batch",
    "PlannedRequest": "smscli.gateways.sends",
    "RawAnswer": "smscli.gateways.reportcalls",
    "Report": "smscli.gateways.reports",
    "ReportResult": "smscli.gateways.reportcalls",
    "SendResult": "smscli.gateways.sends",
}

if not TYPE_CHECKING:  # mypy reads the names above; a typo stays an error for it

    def __getattr__(name: str) -> object:
        """The records that live beside this module, imported when first asked for."""
        module = _ELSEWHERE.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"
    PENDING = "pending"
    NOT_FOUND = "not_found"  # the gateway does not know the id (yet): still queued, or wrong id
    UNKNOWN = "unknown"

    @property
    def final(self) -> bool:
        return self in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)


class Code(NamedTuple):
    """What a provider's error code means: the reason in English, the kind of error (which
    decides exit code and retries) and a hint for the user. Each provider's table maps its
    codes to these (v3_codes, mobset_codes)."""

    reason: str
    kind: ErrorKind
    hint: str | None = None


class Submitted(NamedTuple):
    """One number the gateway accepted, with the id it gave the message.

    A NamedTuple rather than a frozen dataclass: a bulk send builds one per number, and a
    tuple is several times cheaper to create."""

    number: str
    msg_id: str
    order_id: str | None = None


# A callback the CLI passes for --verbose: it receives one already-redacted line.
Trace = Callable[[str], None]


class ReportMode(StrEnum):
    """How delivery reports are had (a StrEnum: it compares equal to its text)."""

    QUERY = "query"  # get_report(msg_ids): looked up by id, as often as wanted (v3)
    QUEUE = "queue"  # pull_reports(): each report handed out once, to whoever asks (mobset)


class Gateway(Protocol):
    """What every provider client offers, and what it can do: declared, so callers plan from
    it (chunk sizes, dry runs, report polling, --at) rather than discovering it."""

    name: str
    # Limits, so the CLI plans chunks before sending.
    max_numbers_per_send: int  # numbers per send request
    max_content_chars: int
    max_ids_per_report: int  # msgIds per get_report call (queue: reports per pull)
    max_sender_id: int  # 0: the provider has no sender id
    report_mode: ReportMode
    # send/plan_send take `at` (a scheduled send waiting at the gateway): SchedulingGateway.
    can_schedule: bool
    # send_batch is one request carrying several contents (v3 sendSms/batch); otherwise it is
    # one request per content.
    multi_content: bool
    # What a whole-number balance counts, when the provider says (mobset: "messages"); None
    # for an amount of money.
    balance_unit: str | None
    # What the user should be told once per command (e.g. plain HTTP); clients never print.
    warnings: tuple[str, ...]

    @property
    def clock_offset(self) -> float:
        """Seconds added to this machine's clock, learnt when the gateway said ours is off."""
        ...

    def plan_send(
        self,
        numbers: Sequence[str],
        content: str,
        *,
        sender_id: str | None = None,
        order_ids: Sequence[str] | None = None,
    ) -> PlannedRequest: ...

    def send(
        self,
        numbers: Sequence[str],
        content: str,
        *,
        sender_id: str | None = None,
        order_ids: Sequence[str] | None = None,
    ) -> SendResult: ...

    def plan_batch(self, elements: Sequence[BatchElement]) -> PlannedRequest:
        """The request(s) send_batch would make, for --dry-run: NotSupported when a provider
        without multi_content is given more than one element."""
        ...

    def send_batch(self, elements: Sequence[BatchElement]) -> SendResult: ...

    def get_report(self, msg_ids: Sequence[str]) -> ReportResult: ...

    def get_balance(self) -> Balance: ...

    def close(self) -> None: ...


class SchedulingGateway(Gateway, Protocol):
    """A gateway whose can_schedule is True: its sends wait at the gateway until `at`."""

    def plan_send(
        self,
        numbers: Sequence[str],
        content: str,
        *,
        sender_id: str | None = None,
        order_ids: Sequence[str] | None = None,
        at: datetime | None = None,
    ) -> PlannedRequest: ...

    def send(
        self,
        numbers: Sequence[str],
        content: str,
        *,
        sender_id: str | None = None,
        order_ids: Sequence[str] | None = None,
        at: datetime | None = None,
    ) -> SendResult: ...


def plan_one_element(gateway: Gateway, elements: Sequence[BatchElement]) -> PlannedRequest:
    """plan_batch for a provider without multi_content: one element is its plain send; more
    cannot be shown as one request."""
    if len(elements) != 1:
        raise NotSupported(f"provider {gateway.name} cannot show a multi-content request")
    (only,) = elements
    return gateway.plan_send(
        only.numbers, only.content, sender_id=only.sender_id, order_ids=only.order_ids
    )
