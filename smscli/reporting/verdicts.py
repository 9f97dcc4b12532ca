"""What the local history adds to a gateway's answer: a final state it holds is not asked
again (`still_to_ask`) and outlives a gateway that forgot the id (`combine`); an id the
gateway does not list is pending only while it can still be queued (`not_found_verdict`);
and the history answers alone for a queue provider (`history_report`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from smscli.gateways.base import DeliveryStatus, Report
from smscli.reporting.outcome import NOT_FOUND_DETAIL, ReportOutcome

if TYPE_CHECKING:
    from smscli.history.records import Tracked

NO_REPORT_DETAIL = "no delivery report yet"
NOT_IN_HISTORY_DETAIL = "no delivery report yet, and not a msgId in the history"

# How long after its send a message may still be unknown to the gateway (queued: v3 counts it
# in `nofound`) or without a report, and be called pending. Past it, neither the gateway nor
# the history has anything to wait for: unknown. The vendors document no such window; three
# days outlasts any queue the documents describe.
RECENT = timedelta(days=3)
# v3 msgIds usually start with their submission time, yyMMddHHmmss at UTC+8 (not always:
# real-answers.md V2), which dates an id the history does not hold.
_ID_TZ = timezone(timedelta(hours=8))
UNKNOWN_ID_DETAIL = "neither the gateway nor the history knows this id"
FORGOTTEN_DETAIL = "the gateway has no record of it, and it was not sent recently"
NO_REPORT_LATE_DETAIL = "no delivery report came, and it was not sent recently"


def id_time(msg_id: str) -> datetime | None:
    """The submission time a 19-digit v3 msgId starts with, if it starts with one."""
    if len(msg_id) != 19 or not msg_id.isdigit():
        return None
    try:
        return datetime.strptime(msg_id[:12], "%y%m%d%H%M%S").replace(tzinfo=_ID_TZ)
    except ValueError:
        return None


def recently_sent(
    msg_id: str, known: Tracked | None, now: datetime, sent: datetime | None = None
) -> bool:
    """Sent within RECENT, as far as anyone can tell: by the history's record of the send
    (`sent`), or (an id the history does not hold) by the time the id starts with. A message
    the history holds without a send time counts as recent: nothing says it is not."""
    if known is not None:
        return sent is None or now - sent <= RECENT
    stamp = id_time(msg_id)
    return stamp is not None and -RECENT <= now - stamp <= RECENT


def not_found_verdict(
    report: Report, known: Tracked | None, now: datetime, sent: datetime | None = None
) -> Report:
    """A getReport answer that does not list an id (`nofound`): pending while the message can
    still be queued at the gateway, unknown otherwise. A final state the history holds is
    left for `combine` to show."""
    if report.status is not DeliveryStatus.NOT_FOUND or _final(known):
        return report
    number = report.number or (known.number if known is not None else None)
    if recently_sent(report.msg_id, known, now, sent):
        return replace(
            report, status=DeliveryStatus.PENDING, number=number, detail=NOT_FOUND_DETAIL
        )
    detail = FORGOTTEN_DETAIL if known is not None else UNKNOWN_ID_DETAIL
    return replace(report, status=DeliveryStatus.UNKNOWN, number=number, detail=detail)


def judge_answers(
    reports: list[Report],
    tracked: Mapping[str, Tracked],
    now: datetime,
    sent_times: Callable[[Sequence[str]], Mapping[str, datetime]],
    ids: Sequence[str] | None = None,
) -> list[Report]:
    """One call's reports as they count: not_found_verdict for the ids the gateway did not
    list (the history's send times are read for those only: usually few, often none), and
    the number the history sent to (as combine gives it). `ids`: the reports' ids, in their
    order, as the caller holds them: a report given the history's number takes its id text
    from there, and one code text per answer, instead of keeping copies of the answer's."""
    unlisted = [r.msg_id for r in reports if r.status is DeliveryStatus.NOT_FOUND]
    sent = sent_times(unlisted) if unlisted else {}
    judged = []
    codes: dict[str | None, str | None] = {}
    get = tracked.get
    for msg_id, report in zip([r.msg_id for r in reports] if ids is None else ids, reports,
                              strict=True):  # fmt: skip
        known = get(msg_id)
        if report.status is DeliveryStatus.NOT_FOUND:
            report = not_found_verdict(report, known, now, sent.get(msg_id))
        if known is not None and known.number is not None and report.number != known.number:
            code = codes.setdefault(report.code, report.code)
            report = Report(msg_id, report.status, known.number, report.time, code,
                            report.detail, report.source)  # fmt: skip
        judged.append(report)
    return judged


def _numbered(report: Report, number: str) -> Report:
    # Not dataclasses.replace: this may run for every id of a 100,000-id report.
    return Report(
        report.msg_id,
        report.status,
        number=number,
        time=report.time,
        code=report.code,
        detail=report.detail,
        source=report.source,
    )


def history_report(
    msg_id: str,
    known: Tracked | None,
    *,
    now: datetime | None = None,
    sent: datetime | None = None,
) -> Report:
    """What the history knows of one msgId as a report: its last delivery state; pending while
    no report has come for a message it holds; not found for an id it does not hold. With
    `now`, a message without a report that was not sent recently, and an id the history does
    not hold, are unknown instead (RECENT). Its `source` says the answer came from the history
    (a row key of its own, so the detail reads the same whichever way the answer came)."""
    if known is None:
        if now is not None and not recently_sent(msg_id, None, now):
            return Report(
                msg_id, DeliveryStatus.UNKNOWN, detail=UNKNOWN_ID_DETAIL, source="history"
            )
        return Report(
            msg_id, DeliveryStatus.NOT_FOUND, detail=NOT_IN_HISTORY_DETAIL, source="history"
        )
    if known.status is None:
        if now is not None and not recently_sent(msg_id, known, now, sent):
            return Report(
                msg_id,
                DeliveryStatus.UNKNOWN,
                number=known.number,
                detail=NO_REPORT_LATE_DETAIL,
                source="history",
            )
        return Report(
            msg_id,
            DeliveryStatus.PENDING,
            number=known.number,
            detail=NO_REPORT_DETAIL,
            source="history",
        )
    return Report(
        msg_id,
        known.status,
        number=known.number,
        time=known.time,
        code=known.code,
        detail=known.detail,
        source="history",
    )


def still_to_ask(
    ids: Sequence[str], tracked: Mapping[str, Tracked], *, refresh: bool = False
) -> list[str]:
    """The ids a query provider must be asked about: those without a final state in the
    history (every id with `refresh`). A delivered or failed message stays so."""
    if refresh:
        return list(ids)
    get = tracked.get
    return [i for i in ids if not _final(get(i))]


def _final(known: Tracked | None) -> bool:
    # DeliveryStatus.final, without an enum property per id of a 100,000-id report.
    if known is None:
        return False
    status = known.status
    return status is DeliveryStatus.DELIVERED or status is DeliveryStatus.FAILED


def combine(
    ids: Sequence[str], asked: ReportOutcome | None, tracked: Mapping[str, Tracked]
) -> ReportOutcome:
    """One report per id, in input order: the gateway's answer where it was asked, else the
    history's final state (marked). A gateway that has forgotten an old id (not found) does
    not hide the final state the history holds; the number is the one the history sent to
    (the answer may lack it, or echo it as +44..., 0044..., issue 10)."""
    answers = asked.reports if asked is not None else ()
    reports = _combined(ids, answers, tracked)
    if reports is None:  # the answers are not in the order of the ids: matched by id
        answered = {r.msg_id: r for r in answers}
        reports = [_one(i, answered.get(i), tracked.get(i)) for i in ids]
    if asked is None:
        return ReportOutcome(reports=tuple(reports), polls=0, elapsed=0.0)
    return replace(asked, reports=tuple(reports))


def _combined(
    ids: Sequence[str], answers: Sequence[Report], tracked: Mapping[str, Tracked]
) -> list[Report] | None:
    """combine's reports when the answers are for some of the ids, in their order (as the
    asking makes them): matched walking both, without a mapping of 100,000 answers. None
    when they are not."""
    reports = []
    at, count = 0, len(answers)
    get = tracked.get
    not_found = DeliveryStatus.NOT_FOUND
    for msg_id in ids:
        got = None
        if at < count and answers[at].msg_id == msg_id:
            got = answers[at]
            at += 1
        known = get(msg_id)
        if known is None and got is not None and got.status is not not_found:
            reports.append(got)  # _one's answer, the usual one spelled out
        else:
            reports.append(_one(msg_id, got, known))
    return reports if at == count else None


def _one(msg_id: str, got: Report | None, known: Tracked | None) -> Report:
    if got is None or (got.status is DeliveryStatus.NOT_FOUND and _final(known)):
        return history_report(msg_id, known)
    if known is not None and known.number is not None and got.number != known.number:
        return _numbered(got, known.number)
    return got
