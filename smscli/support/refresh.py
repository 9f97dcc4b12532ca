"""A lookup's own messages, refreshed by msgId: getReport about the shown messages whose
delivery state is not final. It is repeatable and not under getSentRcd's one-call-a-minute
limit, so `lookup` can give current states even when its sync was refused as too frequent."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Final, Protocol, runtime_checkable

from smscli.gateways.base import DeliveryStatus, ReportMode
from smscli.gateways.records import SentRecord
from smscli.gateways.reportcalls import ReportResult
from smscli.history.support import AccountStore
from smscli.support.calls import Options, call


@runtime_checkable
class IdReports(Protocol):
    max_ids_per_report: int
    report_mode: str

    def get_report(self, msg_ids: Sequence[str]) -> ReportResult: ...


# getReport calls a lookup may make for the messages it shows (200 ids each).
MAX_REFRESH_IDS: Final = 1000


def refresh(
    gateway: object,
    store: AccountStore,
    *,
    provider: str,
    profile: str,
    unsettled: dict[str, str],
    options: Options | None = None,
) -> int:
    """Ask getReport (by msgId: repeatable, and not under getSentRcd's one-call-a-minute
    limit) about the messages a lookup is about to show whose state is not final, and save
    what changed. Only for providers whose reports are looked up by id; returns how many
    reports were saved."""
    if not unsettled or not isinstance(gateway, IdReports):
        return 0
    if gateway.report_mode != ReportMode.QUERY:
        return 0
    opts = options or Options(wait=False)
    ids = list(unsettled)[:MAX_REFRESH_IDS]
    size = max(1, gateway.max_ids_per_report)
    saved = 0
    for start in range(0, len(ids), size):
        part = ids[start : start + size]
        result = call(functools.partial(gateway.get_report, part), "getReport", opts)
        records = [
            SentRecord(
                msg_id=r.msg_id,
                number=unsettled.get(r.msg_id) or r.number or "",
                status=r.status,
                sent=None,
                status_time=r.time if r.status.final else None,
                code=r.code,
                detail=r.detail,
            )
            for r in result.reports
            if r.msg_id in unsettled and r.status is not DeliveryStatus.NOT_FOUND
        ]
        store.save_sent(records, provider=provider, profile=profile, state=None)
        saved += len(records)
    return saved
