"""What one report call answers: its reports (ReportResult), or for a queue provider the
answer kept as it came (RawAnswer). Apart from smscli.gateways.reports, which every Store
opened for a send imports (the history writes reports back), so that a send builds neither;
built only by the commands that ask a gateway for reports (see smscli.gateways.base)."""

from __future__ import annotations

from dataclasses import dataclass

from smscli.gateways.reports import Report


@dataclass(frozen=True, slots=True)
class ReportResult:
    reports: tuple[Report, ...]
    not_found: int = 0


@dataclass(frozen=True, slots=True)
class RawAnswer:
    """An answer exactly as it came: kept before it is read (a queue provider hands each
    report out once, so an answer smscli cannot read must not be thrown away)."""

    body: bytes
    content_type: str | None
    http_status: int
