"""`report --last`, `--job ID` and `--since WHEN`: the msgIds picked from the local history,
with what the history knows of them. The ids a user gives are read in smscli.msgids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from smscli.errors import UsageError
from smscli.message import plural
from smscli.msgids import CollectedIds

if TYPE_CHECKING:
    from smscli.history.store import Store


@dataclass(frozen=True, slots=True)
class HistorySelection:
    """`--last`, `--job ID` or `--since WHEN`: the msgIds come from the local history."""

    option: str  # as the user gave it, for messages
    last: bool = False
    job: int | None = None
    since: datetime | None = None


def history_selection(
    *, last: bool = False, job: int | None = None, since: str | None = None
) -> HistorySelection | None:
    """The history selection asked for, if any; at most one of the three."""
    given = [
        name
        for name, on in (("--last", last), ("--job", job is not None), ("--since", since))
        if on
    ]
    if len(given) > 1:
        raise UsageError(f"{' and '.join(given)} cannot be combined: choose one")
    if job is not None:
        if job < 1:
            raise UsageError(f"--job {job}: job ids start at 1", hint="list jobs: smscli history")
        return HistorySelection(f"--job {job}", job=job)
    if since is not None:
        from smscli.timeparse import parse_since

        try:
            return HistorySelection(f"--since {since}", since=parse_since(since))
        except ValueError as exc:
            raise UsageError(f"--since: {exc}") from None
    return HistorySelection("--last", last=True) if last else None


def refuse_other_ids(selection: HistorySelection, args: Sequence[str], file: str | None) -> None:
    """History-selected ids are the whole question: mixing in other ids would hide which
    answer belongs to which."""
    if args or file is not None:
        given = "-f/--file" if file is not None and not args else "msgIds"
        raise UsageError(
            f"{selection.option} takes the msgIds from the history: give no {given} with it",
            hint="either name the messages (arguments, -f, stdin) or select them from the history",
        )


def ids_from_history(store: Store, selection: HistorySelection, profile: str) -> CollectedIds:
    """The ids `selection` picks, with what the history knows of them. --last is the newest job
    of `profile`; --since is scoped to `profile` too (another profile's msgIds belong to another
    account, whose gateway alone can answer for them); --job is any job."""
    if selection.since is not None:
        tracked = store.ids_since(selection.since, profile)
        return CollectedIds(list(tracked), tracked=tracked, origin=f"{selection.option}")
    job_id = selection.job if selection.job is not None else store.last_job_id(profile)
    if job_id is None:
        raise UsageError(
            f"no job of profile {profile} in the history",
            hint="sends are recorded unless --no-history or history = false; "
            "`smscli history` lists the jobs, -p chooses another profile",
        )
    tracked = store.ids_for_job(job_id)
    live = store.job(job_id).live
    if not tracked and live:
        raise UsageError(
            f"job {job_id} is still being sent: no answer with a msgId is recorded yet",
            hint=f"ask again in a moment, or follow it with: smscli history show {job_id}",
        )
    if not tracked:
        # A job the gateway accepted without giving ids (issue 10) must not read as "accepted
        # none": that would invite sending the same messages again.
        summaries = store.jobs(job_id=job_id)
        accepted = summaries[0].counts.accepted if summaries else 0
        if accepted:
            raise UsageError(
                f"job {job_id} has no msgIds: the gateway accepted {plural(accepted, 'number')} "
                "without giving a message id, so their delivery cannot be followed",
                hint=f"they were sent: do not send them again; see: smscli history show {job_id}",
            )
        raise UsageError(
            f"job {job_id} has no msgIds: the gateway accepted none of its numbers",
            hint=f"see: smscli history show {job_id}",
        )
    origin = f"job {job_id}" + (" (still being sent: the msgIds recorded so far)" if live else "")
    # Numbers accepted without a msgId (issue 10) cannot be asked about: counted, so that the
    # report does not silently show fewer messages than the job sent.
    summaries = [] if live else store.jobs(job_id=job_id)
    untracked = max(summaries[0].counts.accepted - len(tracked), 0) if summaries else 0
    return CollectedIds(list(tracked), tracked=tracked, origin=origin, skipped=untracked)
