"""`smscli report`: did it arrive?"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from smscli import console, rows
from smscli.cli import common as c
from smscli.cli import completion
from smscli.errors import SmsCliError, UsageError
from smscli.limits import MAX_JOB_ID
from smscli.message import plural
from smscli.output import write_rows

FROM_HISTORY = "From the local history"

if TYPE_CHECKING:
    from datetime import datetime

    from smscli.gateways.base import Gateway, Report
    from smscli.history.store import Store
    from smscli.reporting import (
        CollectedIds,
        Drained,
        HistorySelection,
        OnReports,
        OnRetry,
        Poll,
        QueueSource,
        ReportOutcome,
        WaitPolicy,
    )
    from smscli.settings import ResolvedProfile

REPORT_COLUMNS = rows.columns(*rows.REPORT)

DEFAULT_INTERVAL = 10.0
DEFAULT_TIMEOUT = 600.0


@c.handle_errors
def report(
    ctx: typer.Context,
    msg_ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[MSG_ID]...",
            help="msgIds (comma-separated allowed); `-` or piped stdin reads them from stdin.",
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            "-f",
            metavar="PATH|-",
            help="msgIds one per line, or the output of send/batch in any format; `-` = stdin.",
            show_default=False,
        ),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Keep asking until no message is pending.")
    ] = False,
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval",
            metavar="SECONDS",
            max=3600,
            callback=c.finite,
            help=f"With --wait: seconds between polls, stretched up to 60 while nothing "
            f"changes [default: {DEFAULT_INTERVAL:g}]",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            max=30 * 86400,
            callback=c.finite,
            help=f"With --wait: give up after this long (exit 4) [default: {DEFAULT_TIMEOUT:g}]",
            show_default=False,
        ),
    ] = None,
    last: Annotated[
        bool,
        typer.Option(
            "--last",
            help="Every message of the newest job in the local history (of the profile "
            "named with -p, else of any profile, asked with that job's profile).",
            rich_help_panel=FROM_HISTORY,
        ),
    ] = False,
    job: Annotated[
        int | None,
        typer.Option(
            "--job",
            metavar="ID",
            max=MAX_JOB_ID,
            help="Every message of this job (see: smscli history); its own profile unless -p.",
            show_default=False,
            autocompletion=completion.job_ids,
            rich_help_panel=FROM_HISTORY,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="2h|3d|1w|2026-11-01",
            help="Every message the profile's jobs sent since then: a duration ago (s, m, h, "
            "d, w) or an ISO date. Other profiles' messages need their own -p.",
            show_default=False,
            rich_help_panel=FROM_HISTORY,
        ),
    ] = None,
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh",
            help="Ask the gateway even about messages the history already knows as delivered "
            "or failed.",
            rich_help_panel=FROM_HISTORY,
        ),
    ] = False,
    no_history: Annotated[
        bool,
        typer.Option(
            "--no-history",
            help="Neither read nor write the local history (not possible with mobset).",
            rich_help_panel=FROM_HISTORY,
        ),
    ] = False,
    profile: c.ProfileOpt = None,
    output: c.OutputOpt = None,
    json_flag: c.JsonOpt = False,
    quiet: c.QuietOpt = 0,
    wide: c.WideOpt = False,
    silent: c.SilentOpt = False,
    verbose: c.VerboseOpt = False,
) -> None:
    """Show the delivery state of sent messages.

    Statuses: delivered, failed, pending (still sending, or sent in the last 3 days and not
    known to the gateway yet), unknown (an id neither the gateway nor the history knows, or
    one sent longer ago that the gateway has no record of). Exit 3 when a message failed, 4
    when --wait timed out.

    The msgIds come from the arguments, -f or stdin, or from the local history with --last,
    --job or --since (one of these three, and then no msgIds). Every answer is written back
    to the history, and a message it already knows as delivered or failed is answered from
    it without asking the gateway again (--refresh asks anyway). --no-history, or the
    profile's history = false, writes nothing back and (for msgIds given) reads nothing.

    mobset hands out each delivery report once, from a queue: `report` pulls everything
    waiting into the history first (reports for msgIds it does not hold are kept too) and
    answers from there. So with mobset the history cannot be turned off. Pulls are paced
    (one a second), stop when one brings nothing new, and at most 200 are made per run. Every
    answer is kept as it came before it is read. On an account shared with other systems,
    set the profile's drain_reports = false: pulling takes the reports from them.

    \b
    Examples:
      smscli report 2401011200001000095
      smscli send 447700900123 -m hi -q | smscli report --wait
      smscli send -f list.csv -m hi -o jsonl > sent.jsonl; smscli report -f sent.jsonl
      smscli report --last --wait
      smscli report --since 1d -p shop
    """
    from smscli import reporting as r

    opts = c.common(ctx, profile, output, json_flag, quiet, verbose, silent=silent, wide=wide)
    policy = _wait_policy(wait, interval, timeout)
    # Checked before any profile, history or network: a bad id or option queries nothing.
    selection = r.history_selection(last=last, job=job, since=since)
    if selection is None:
        collected = _given_ids(msg_ids or [], file)
        prof = c.load_profile(opts)
    else:
        r.refuse_other_ids(selection, msg_ids or [], file)
        if no_history:
            raise UsageError(f"{selection.option} reads the local history: drop --no-history")
        selection = _last_of_any_profile(selection, opts)
        prof = _profile(opts, selection)
        collected = _from_history(selection, prof)
    history = not no_history and prof.get_bool("history") is not False
    gateway = c.open_gateway(prof, opts)
    try:
        queue = r.as_queue(gateway)
        if queue is not None and not history:
            raise _history_needed(prof, no_history)
        store = _open_store(required=queue is not None) if history else None
        try:
            run = _Run(gateway, prof, store)
            if queue is not None:
                outcome = run.queue(queue, collected, policy, refresh=refresh)
            else:
                outcome = run.query(collected, policy, refresh=refresh)
        finally:
            if store is not None:
                store.close()
    finally:
        gateway.close()
    _finish(outcome, opts, waited=policy is not None)


def _wait_policy(wait: bool, interval: float | None, timeout: float | None) -> WaitPolicy | None:
    from smscli.reporting import WaitPolicy

    if not wait:
        if interval is not None or timeout is not None:
            raise UsageError("--interval and --timeout only apply with --wait")
        return None
    return WaitPolicy(
        interval=DEFAULT_INTERVAL if interval is None else interval,
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
    )


def _given_ids(msg_ids: list[str], file: str | None) -> CollectedIds:
    from smscli.reporting import collect_ids

    collected = collect_ids(
        msg_ids, file=file, stdin=sys.stdin, stdin_is_tty=console.stdin_is_tty()
    )
    if collected.duplicates:
        console.detail(f"{collected.duplicates:,} duplicate msgIds: each is queried once")
    return collected


def _last_of_any_profile(selection: HistorySelection, opts: c.Common) -> HistorySelection:
    """`--last` with no profile named means the last thing sent, whichever profile sent it
    (e.g. `send -p sandbox` then plain `report --last`): that job, with its own profile."""
    import os
    from dataclasses import replace

    if not selection.last or opts.profile is not None or os.environ.get("SMSCLI_PROFILE"):
        return selection
    from smscli.history.store import Store

    with Store.open() as store:
        newest = store.last_job_id(None)
    if newest is None:
        return selection
    return replace(selection, last=False, job=newest)


def _profile(opts: c.Common, selection: HistorySelection) -> ResolvedProfile:
    """The profile to ask with: a --job's own, unless -p names one (as `send --resume`)."""
    if selection.job is None:
        return c.load_profile(opts)
    from smscli.history.store import Store

    with Store.open() as store:
        job = store.job(selection.job)
    return c.job_profile(opts, job, "asking")


def _history_needed(prof: ResolvedProfile, flag: bool) -> UsageError:
    why = "--no-history" if flag else f"profile {prof.name} has history = false"
    return UsageError(
        f"{prof.provider} hands out each delivery report only once, and `report` keeps them "
        f"in the local history, which is off ({why}): the reports would be lost",
        hint="drop --no-history" if flag else f"smscli config set history true -p {prof.name}",
    )


def _open_store(*, required: bool) -> Store | None:
    """The history to write answers to. Explicit msgIds asked of a query provider can do
    without it: then a history that cannot be opened is a warning, not a failure."""
    from smscli.history.db import StoreError
    from smscli.history.store import Store

    try:
        return Store.open()
    except StoreError as exc:
        if required:
            raise
        console.warn(f"{exc.message}; reporting without the history")
        return None


def _from_history(selection: HistorySelection, prof: ResolvedProfile) -> CollectedIds:
    from smscli.history.store import Store
    from smscli.reporting import ids_from_history

    with Store.open() as store:
        collected = ids_from_history(store, selection, prof.name)
    if collected.ids:
        found = plural(len(collected.ids), "msgId")
        console.detail(f"{collected.origin}: {found} from the history")
        if collected.skipped:
            console.warn(
                f"{plural(collected.skipped, 'more number')} of {collected.origin} "
                "sent without a message id: "
                f"{'its' if collected.skipped == 1 else 'their'} delivery cannot be followed "
                "(not shown)"
            )
    else:
        console.info(f"no message of profile {prof.name} in the history ({selection.option})")
    return collected


class _Run:
    """One `report` run against one gateway, with the history to read and write (None: off)."""

    def __init__(self, gateway: Gateway, prof: ResolvedProfile, store: Store | None) -> None:
        self.gateway = gateway
        self.prof = prof
        self.store = store

    def _tracked(self, collected: CollectedIds) -> CollectedIds:
        from dataclasses import replace

        if collected.tracked or self.store is None or not collected.ids:
            return collected
        found = self.store.lookup(collected.ids, self.prof.provider)
        return replace(collected, tracked=found)

    def query(
        self, collected: CollectedIds, policy: WaitPolicy | None, *, refresh: bool
    ) -> ReportOutcome:
        """Ask the gateway about every id the history holds no final state for."""
        from smscli import reporting as r

        collected = self._tracked(collected)
        ask = r.still_to_ask(collected.ids, collected.tracked, refresh=refresh)
        known = len(collected.ids) - len(ask)
        if known:
            console.detail(
                f"{plural(known, 'message')} already delivered or failed: answered from the "
                "history "
                "(--refresh asks the gateway again)"
            )
        asked = None
        if ask:
            from datetime import UTC, datetime

            now = datetime.now(UTC)
            tracked = collected.tracked
            sent = self._sent_times(ask)
            view = _Progress(live=console.stderr_is_tty())
            try:
                asked = r.check_reports(
                    self.gateway,
                    ask,
                    wait=policy,
                    concurrency=self.prof.get_int("concurrency") or 4,
                    retry=r.QUERY_RETRY,
                    on_reports=_history_hook(self.store, self.prof),
                    on_poll=view.update,
                    on_retry=_retrying("getReport"),
                    classify=lambda got: r.not_found_verdict(
                        got, tracked.get(got.msg_id), now, sent.get(got.msg_id)
                    ),
                )
            finally:
                view.close()
        return r.combine(collected.ids, asked, collected.tracked)

    def queue(
        self,
        source: QueueSource,
        collected: CollectedIds,
        policy: WaitPolicy | None,
        *,
        refresh: bool,
    ) -> ReportOutcome:
        """Drain the gateway's queue into the history, then answer from the history."""
        from smscli import reporting as r
        from smscli.history.raw import RawKeeper

        store, provider = self.store, self.prof.provider
        if store is None:
            raise AssertionError("report opens the history for a queue provider")
        if refresh:
            console.detail(
                f"--refresh: {provider} cannot be asked about a report again; "
                "answering from the history"
            )
        if not collected.ids:
            return r.combine([], None, {})
        pull = self._may_drain(store)
        pulled = _Pulled()
        view = _Progress(live=console.stderr_is_tty())
        try:
            return r.check_queue(
                source,
                collected.ids,
                save=lambda reports: store.record_reports(reports, provider=provider),
                lookup=lambda ids: store.lookup(ids, provider),
                wait=policy,
                retry=r.QUERY_RETRY,
                on_drain=pulled.add,
                on_poll=view.update,
                on_retry=_retrying("SmsGetReport"),
                keeper=RawKeeper(store, provider, self.prof.name),
                pull=pull,
                now=_utc_now,
                sent_times=lambda ids: store.sent_times(ids, provider),
            )
        except r.ReportsNotSaved as exc:
            view.close()
            _rescue(exc.reports)
            raise
        finally:
            view.close()
            pulled.tell(provider)

    def _sent_times(self, ids: Sequence[str]) -> Mapping[str, datetime]:
        from smscli.history.db import StoreError

        if self.store is None:
            return {}
        try:
            return self.store.sent_times(ids, self.prof.provider)
        except StoreError:
            return {}  # only sharpens pending vs unknown: not worth failing a report for

    def _may_drain(self, store: Store) -> bool:
        return may_drain(self.prof, store)


def may_drain(prof: ResolvedProfile, store: Store) -> bool:
    """The profile's drain_reports: false answers from the history alone; unset pulls,
    after saying once (per history and profile) what pulling costs a shared account. Also
    asked by `sync` and `lookup`, which drain the same queue."""
    from smscli.providers import is_sandbox

    choice = prof.get_bool("drain_reports")
    name = prof.name
    if choice is False:
        console.detail(
            f"profile {name} has drain_reports = false: the gateway's report queue is not "
            "pulled (delivery states come from the history)"
        )
        return False
    # A simulated account has nobody else to take reports from.
    if choice is None and not is_sandbox(prof) and store.first_notice(
        f"drain_reports:{name}"
    ):
        console.warn(
            f"{prof.provider} hands each delivery report out once: pulling them takes "
            "them from every other system using this account. If the account is shared, "
            f"run `smscli config set drain_reports false -p {name}` (report then answers "
            f"from the history alone); `... drain_reports true -p {name}` keeps pulling "
            "without this note. Shown once."
        )
    return True


def _utc_now() -> datetime:
    from datetime import UTC, datetime

    return datetime.now(UTC)


class _Pulled:
    """What the drains of one run pulled, told once at the end (not per poll of a wait)."""

    def __init__(self) -> None:
        self.calls = 0
        self.reports = 0
        self.repeated = 0
        self.recovered = 0
        self.limited = False

    def add(self, drained: Drained) -> None:
        self.calls += drained.calls
        self.reports += drained.reports
        self.repeated += drained.repeated
        self.recovered += drained.recovered
        self.limited = self.limited or drained.limit_reached

    def tell(self, provider: str) -> None:
        if self.recovered:
            console.info(
                f"{provider}: {self.recovered:,} delivery reports read from answers kept "
                "earlier because they could not be read then"
            )
        if self.reports:
            calls = "call" if self.calls == 1 else "calls"
            console.detail(
                f"{provider}: {self.reports:,} new delivery reports pulled into the history "
                f"({self.calls:,} {calls}); answered from the history"
            )
        elif self.calls:
            console.detail(f"{provider}: no new delivery reports; answered from the history")
        if self.repeated:
            console.detail(
                f"{provider}: {self.repeated:,} reports handed out again were already in the "
                "history (not counted as new)"
            )
        if self.limited:
            console.warn(
                f"stopped pulling after {plural(self.calls, 'call')}: more reports may be waiting; "
                "run `smscli report` again to pull the rest"
            )


def _rescue(reports: tuple[Report, ...]) -> None:
    """Reports pulled but not saved exist nowhere else: one JSON line each on stderr."""
    import json

    for report in reports:
        line = {
            "msg_id": report.msg_id,
            "status": report.status.value,
            "time": report.time.isoformat() if report.time else None,
            "code": report.code,
            "detail": report.detail,
        }
        sys.stderr.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stderr.flush()


def _history_hook(store: Store | None, prof: ResolvedProfile) -> OnReports | None:
    """Every answer written back to the history per message (None when history is off). A
    query provider can be asked again, so a failed write warns once and stops writing,
    instead of throwing the answers away."""
    from smscli.history.db import StoreError

    if store is None:
        return None
    failed: list[StoreError] = []

    def record(reports: Sequence[Report]) -> None:
        if failed:
            return
        try:
            store.record_reports(reports, provider=prof.provider)
        except StoreError as exc:
            failed.append(exc)
            console.warn(f"{exc.message}: delivery states are not saved in the history")

    return record


def _retrying(what: str) -> OnRetry:
    def say(exc: SmsCliError, attempt: int, pause: float) -> None:
        console.detail(f"{what}: {exc.message}; trying again in {pause:.1f} s")

    return say


def _finish(outcome: ReportOutcome, opts: c.Common, *, waited: bool) -> None:
    from smscli import reporting as r

    write_rows(r.report_rows(outcome.reports), REPORT_COLUMNS, opts.output, wide=opts.wide)
    counts = outcome.counts
    console.info(r.summary(counts))
    if outcome.timed_out:
        console.error(
            f"timed out after {_duration(outcome.elapsed)} with "
            f"{plural(counts.waiting, 'message')} still pending"
        )
    elif outcome.interrupted:
        console.error(f"interrupted with {plural(counts.waiting, 'message')} still pending")
    elif counts.not_found and not waited:
        console.detail(
            "not found: still queued at the gateway, or not a msgId of this account; "
            "ask again later, or use --wait"
        )
    raise typer.Exit(int(r.exit_code(outcome)))


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class _Progress:
    """--wait progress on stderr. On a terminal, one status line rewritten in place; when
    piped, a plain line only when a later poll found something new."""

    def __init__(self, *, live: bool) -> None:
        self._live = live
        self._width = 0

    def update(self, poll: Poll) -> None:
        from smscli.reporting import summary

        if poll.error is not None:
            self._clear()
            console.warn(f"could not ask for reports: {poll.error.message}")
        if poll.next_delay is None:
            # The last poll: the final summary says the rest.
            return
        text = f"{_duration(poll.elapsed)}: {summary(poll.counts)}"
        if self._live:
            self._show(f"{text}; next check in {_duration(poll.next_delay)}")
        elif poll.changed and poll.number > 1:
            console.info(text)

    def _show(self, text: str) -> None:
        import shutil

        # Longer than the terminal, the line would wrap and \r could not rewrite it.
        text = text[: max(20, shutil.get_terminal_size().columns - 1)]
        sys.stderr.write("\r" + text.ljust(self._width))
        sys.stderr.flush()
        self._width = len(text)

    def _clear(self) -> None:
        if self._width:
            sys.stderr.write("\r" + " " * self._width + "\r")
            sys.stderr.flush()
            self._width = 0

    def close(self) -> None:
        self._clear()
