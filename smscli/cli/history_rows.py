"""What `smscli history` shows: its rows (per job, per number, per message, per request) and
the header of `history show` on stderr, built from the store's records. Row keys: smscli.rows,
listed in README's "Row keys" table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from smscli import console, rows
from smscli.message import plural

if TYPE_CHECKING:
    from smscli.history.chunkinfo import ChunkInfo
    from smscli.history.messages import JobSummary, Message, NumberHit
    from smscli.history.records import Job

PREVIEW = 40

JOB_COLUMNS = rows.columns(*rows.HISTORY_JOBS)
NUMBER_COLUMNS = rows.columns(*rows.HISTORY_NUMBER)
MESSAGE_COLUMNS = rows.columns(*rows.HISTORY_SHOW)
BATCH_COLUMNS = rows.columns(*rows.BATCH_EXTRA)
CHUNK_COLUMNS = rows.columns(*rows.HISTORY_CHUNKS)


def preview(job: Job) -> str | None:
    if job.message is None:
        return "(not stored)" if not job.content_stored else None
    flat = " ".join(job.message.split())
    return flat if len(flat) <= PREVIEW else flat[: PREVIEW - 1] + "…"


def job_row(summary: JobSummary) -> dict[str, object]:
    job, n = summary.job, summary.counts
    return {
        "job": job.id,
        "created": job.created,
        "profile": job.profile,
        "provider": job.provider,
        "kind": job.kind.value,
        "status": job.status.value,
        "numbers": job.numbers,
        "accepted": n.accepted,
        "rejected": n.rejected,
        "unknown": n.unknown,
        "not_sent": n.not_sent,
        "delivered": n.delivered,
        "failed": n.failed,
        "pending": n.pending,
        "message": preview(job),
    }


def message_row(m: Message) -> dict[str, object]:
    return {
        "chunk": m.chunk + 1,
        "number": m.number,
        "order_id": m.order_id,
        "msg_id": m.msg_id,
        "outcome": m.outcome.value,
        "error": m.error,
        "status": None if m.status is None else m.status.value,
        "time": m.status_time,
        "code": m.code,
        # Worded as report and lookup word it (the stored detail is the gateway's reason).
        "detail": rows.delivery_detail(m.status, m.code, m.detail) if m.status else m.detail,
        "content": m.content,
        "sender": m.sender,
    }


def number_row(hit: NumberHit) -> dict[str, object]:
    m, job = hit.message, hit.job
    return {
        **message_row(m),
        "job": job.id,
        "sent": m.sent or job.created,
        "profile": job.profile,
        "provider": job.provider,
        "message": m.content if m.content is not None else preview(job),
    }


def chunk_row(info: ChunkInfo) -> dict[str, object]:
    return {
        "chunk": info.index + 1,
        "state": str(info.state),
        "numbers": info.size,
        "first": info.first,
        "last": info.last,
        "attempts": info.attempts,
        "sends": info.sends,
        "error_code": info.error_code,
        "error": info.error_text,
        "started": info.started,
        "finished": info.finished,
    }


def header(summary: JobSummary, infos: list[ChunkInfo]) -> None:
    for line in _header_lines(summary, infos):
        console.info(line)


def _header_lines(summary: JobSummary, infos: list[ChunkInfo]) -> Iterator[str]:
    job, n = summary.job, summary.counts
    when = job.created.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    yield f"job {job.id}: {job.kind}, profile {job.profile} ({job.provider}), {when}, {job.status}"
    states: dict[str, int] = {}
    for info in infos:
        states[info.state] = states.get(info.state, 0) + 1
    # A fixed order, whatever order concurrent chunks finished in.
    order = ["accepted", "rejected", "refused", "unknown", "not_sent", "sending", "planned"]
    ranked = sorted(states.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 99))
    by_state = ", ".join(f"{count} {state.replace('_', ' ')}" for state, count in ranked)
    yield (
        f"{plural(job.numbers, 'number')} in {plural(job.chunks, 'request')} "
        f"({by_state or 'none recorded'})"
    )
    yield (
        f"accepted {n.accepted:,}, rejected {n.rejected:,}, unknown {n.unknown:,}, "
        f"not sent {n.not_sent:,}; delivered {n.delivered:,}, failed {n.failed:,}, "
        f"pending {n.pending:,}"
    )
    if job.message is not None:
        yield f"message: {job.message}"
    elif not job.content_stored:
        yield "message: not stored (store_content = false)"
    if job.sender:
        yield f"sender ID: {job.sender}"
    resent = [i.index + 1 for i in infos if i.sends > 1]
    if resent:
        yield f"resent after an unknown outcome: requests {', '.join(map(str, resent))}"
    unfinished = any(i.state in ("planned", "not_sent", "unknown") for i in infos)
    if unfinished and not job.live and job.kind == "send":
        yield f"resume with: smscli send --resume {job.id}"
    if any(i.state == "refused" for i in infos) and not job.live:
        yield (
            f"refused before processing (nothing sent): once the cause is fixed, "
            f"smscli {job.kind} --resume {job.id} --resend-refused"
        )
