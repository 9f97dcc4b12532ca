"""One `report` run against one gateway, with the history to read and write: a query
provider is asked about the ids the history holds no final state for; a queue provider's
queue is drained into the history, which then answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from smscli import console
from smscli.cli.report_show import Progress, Pulled, rescue
from smscli.errors import SmsCliError, UsageError
from smscli.message import plural

if TYPE_CHECKING:
    from datetime import datetime

    from smscli.gateways.base import Gateway, Report
    from smscli.history.records import Tracked
    from smscli.history.store import Store
    from smscli.msgids import CollectedIds
    from smscli.reads import OnRetry
    from smscli.reporting.drain import QueueSource
    from smscli.reporting.outcome import OnReports, Poll, ReportOutcome
    from smscli.reporting.poll import WaitPolicy
    from smscli.settings import ResolvedProfile


class ReportRun:
    """One `report` run against one gateway, with the history to read and write (None: off)."""

    def __init__(
        self,
        gateway: Gateway,
        prof: ResolvedProfile,
        store: Store | None,
    ) -> None:
        self.gateway = gateway
        self.prof = prof
        self.store = store
        self._answers = 0

    def query(
        self, collected: CollectedIds, policy: WaitPolicy | None, *, refresh: bool
    ) -> ReportOutcome:
        """Ask the gateway about every id the history holds no final state for. Ids the
        user gave are looked up in the history batch by batch while the first calls are
        already out (a 100,000-id lookup costs as much as many calls)."""
        from smscli import reads
        from smscli.reporting.poll import check_reports
        from smscli.reporting.verdicts import combine, judge_answers, still_to_ask

        ids = collected.ids
        picker = None
        if self.store is not None and not collected.tracked and ids:
            picker = _Picker(
                self.store, self.prof.provider, len(ids), refresh=refresh, keep=policy is not None
            )
            tracked = picker.tracked
            ask: Sequence[str] = ids
        else:
            tracked = dict(collected.tracked)
            ask = still_to_ask(ids, tracked, refresh=refresh)
            _tell_known(len(ids) - len(ask))
        asked = None
        if ask:
            now = utc_now()
            view = Progress(live=console.stderr_is_tty())
            try:
                asked = check_reports(
                    self.gateway,
                    ask,
                    wait=policy,
                    concurrency=self.prof.int_setting("concurrency"),
                    retry=reads.QUERY_RETRY,
                    on_reports=history_hook(self.store, self.prof),
                    on_poll=polled(view),
                    on_retry=retrying("getReport"),
                    classify=lambda got, got_ids: self._judged(
                        judge_answers(
                            got,
                            tracked if picker is None else picker.known_of(got),
                            now,
                            self._sent_times,
                            got_ids,
                        ),
                        got_ids,
                        picker,
                    ),
                    pick=picker,
                )
            finally:
                view.close()
            if asked.polls == 0:
                asked = None  # every id picked was answered from the history: none asked
        return combine(ids, asked, tracked)

    def queue(
        self,
        source: QueueSource,
        collected: CollectedIds,
        policy: WaitPolicy | None,
        *,
        refresh: bool,
    ) -> ReportOutcome:
        """Drain the gateway's queue into the history, then answer from the history."""
        from smscli import reads
        from smscli.history.raw import RawKeeper
        from smscli.reporting.drain import ReportsNotSaved, check_queue
        from smscli.reporting.verdicts import combine

        store, provider = self.store, self.prof.provider
        if store is None:
            raise AssertionError("report opens the history for a queue provider")
        if refresh:
            console.detail(
                f"--refresh: {provider} cannot be asked about a report again; "
                "answering from the history"
            )
        if not collected.ids:
            return combine([], None, {})
        pull = may_drain(self.prof, store)
        pulled = Pulled()
        view = Progress(live=console.stderr_is_tty())
        try:
            return check_queue(
                source,
                collected.ids,
                save=lambda reports: store.record_reports(reports, provider=provider),
                lookup=lambda ids: store.lookup(ids, provider),
                wait=policy,
                retry=reads.QUERY_RETRY,
                on_drain=pulled.add,
                on_poll=polled(view),
                on_retry=retrying("SmsGetReport"),
                keeper=RawKeeper(store, provider, self.prof.name),
                pull=pull,
                now=utc_now,
                sent_times=lambda ids: store.sent_times(ids, provider),
            )
        except ReportsNotSaved as exc:
            view.close()
            rescue(exc.reports)
            raise
        finally:
            view.close()
            pulled.tell(provider)

    def _judged(
        self, reports: list[Report], ids: Sequence[str], picker: _Picker | None
    ) -> list[Report]:
        if picker is not None:
            picker.judged(ids)
        # The cyclic collector is held off (report.py), yet each call leaves a cycle behind
        # (httpx's response and its stream: the whole answer, ~30 kB a call), collected
        # here every few dozen answers: the two young generations at once, so that each
        # object is looked at once at most (the old one is never collected during the run;
        # what dies before is never looked at). An answer still being read in a thread at
        # that moment moves on to the old generation: rarely, as answers are read in a
        # moment and collections are far apart.
        self._answers += 1
        if self._answers % _COLLECT_EVERY == 0:
            import gc

            gc.collect(1)
        return reports

    def _sent_times(self, ids: Sequence[str]) -> Mapping[str, datetime]:
        from smscli.history.db import StoreError

        if self.store is None:
            return {}
        try:
            return self.store.sent_times(ids, self.prof.provider)
        except StoreError:
            return {}  # only sharpens pending vs unknown: not worth failing a report for


# Answers between two collections of the young generations (see ReportRun._judged): the
# rows looked up for a call are let go within a few dozen answers, mostly before one.
_COLLECT_EVERY = 32


class _Picker:
    """The ids to ask about, batch by batch (reporting.poll.Pick): what the history knows of
    them is looked up, and those it holds a final state for are not asked (unless
    --refresh). Says how many were answered from the history once every batch is picked,
    before any answer is shown.

    Without `keep` (no --wait: each id is judged once), what the history knew of an id
    without a final state is let go once its call's answer is judged: the judged report
    carries all of it that is shown (its number), and 100,000 of them are not held to the
    end. A final state stays: combine shows it where the gateway has forgotten the id."""

    def __init__(
        self, store: Store, provider: str, total: int, *, refresh: bool, keep: bool
    ) -> None:
        self.store, self.provider, self.refresh, self.keep = store, provider, refresh, keep
        self.tracked: dict[str, Tracked] = {}
        self.unknown: set[str] = set()  # picked ids the history does not hold
        self.left = total
        self.final = 0  # picked ids answered from the history

    def __call__(self, batch: list[str]) -> list[str]:
        from smscli.reporting.verdicts import still_to_ask

        # Each id picked is recorded next: the rows read are kept for that (keep_rows).
        found = self.store.lookup(batch, self.provider, keep_rows=True)
        self.tracked.update(found)
        if len(found) < len(batch):
            self.unknown.update(i for i in batch if i not in found)
        ask = still_to_ask(batch, found, refresh=self.refresh)
        self.final += len(batch) - len(ask)
        self.left -= len(batch)
        if self.left == 0:
            _tell_known(self.final)
        return ask

    def known_of(self, reports: Sequence[Report]) -> Mapping[str, Tracked]:
        """What the history knows of these reports' ids, to judge them by: as picked. An id
        let go already (an answer that listed it in another call's, judged again once every
        call is answered: poll.fetch_reports) is looked up again."""
        tracked, unknown = self.tracked, self.unknown
        gone = [r.msg_id for r in reports if r.msg_id not in tracked and r.msg_id not in unknown]
        if not gone:
            return tracked
        found = {r.msg_id: tracked[r.msg_id] for r in reports if r.msg_id in tracked}
        found.update(self.store.lookup(gone, self.provider))
        return found

    def judged(self, ids: Sequence[str]) -> None:
        """These ids' answers are judged: what the history knew of them is let go (not
        with `keep`), unless it is a final state."""
        if self.keep:
            return
        tracked = self.tracked
        if not self.refresh:  # only ids without a final state were asked
            for msg_id in ids:
                tracked.pop(msg_id, None)
            return
        for msg_id in ids:
            known = tracked.get(msg_id)
            if known is not None and not (known.status is not None and known.status.final):
                del tracked[msg_id]


def _tell_known(known: int) -> None:
    if known:
        console.detail(
            f"{plural(known, 'message')} already delivered or failed: answered from the "
            "history (--refresh asks the gateway again)"
        )


def polled(view: Progress) -> Callable[[Poll], None]:
    """`view` shows each poll; the garbage is collected before the pause to the next."""

    def update(poll: Poll) -> None:
        view.update(poll)
        if poll.next_delay is not None:
            import gc

            gc.collect()

    return update


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
    if choice is None and not is_sandbox(prof) and store.first_notice(f"drain_reports:{name}"):
        console.warn(
            f"{prof.provider} hands each delivery report out once: pulling them takes "
            "them from every other system using this account. If the account is shared, "
            f"run `smscli config set drain_reports false -p {name}` (report then answers "
            f"from the history alone); `... drain_reports true -p {name}` keeps pulling "
            "without this note. Shown once."
        )
    return True


def history_needed(prof: ResolvedProfile, flag: bool) -> UsageError:
    why = "--no-history" if flag else f"profile {prof.name} has history = false"
    return UsageError(
        f"{prof.provider} hands out each delivery report only once, and `report` keeps them "
        f"in the local history, which is off ({why}): the reports would be lost",
        hint="drop --no-history" if flag else f"smscli config set history true -p {prof.name}",
    )


def open_store(*, required: bool) -> Store | None:
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


def utc_now() -> datetime:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def history_hook(store: Store | None, prof: ResolvedProfile) -> OnReports | None:
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


def retrying(what: str) -> OnRetry:
    def say(exc: SmsCliError, attempt: int, pause: float) -> None:
        console.detail(f"{what}: {exc.message}; trying again in {pause:.1f} s")

    return say
