"""What every command shares: the common options merged (`common()`), the error boundary,
verbose tracing, the profile and the gateway; and what the sending commands share (pace,
sender ID, country, a job's profile). The options themselves are declared in cli/options.py."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ParamSpec

import typer

from smscli import console
from smscli.errors import ExitCode, OutputClosed, OutputError, SmsCliError

if TYPE_CHECKING:
    from smscli.gateways.base import Gateway
    from smscli.history.records import Job
    from smscli.model import Failure
    from smscli.output import OutputFormat
    from smscli.settings import ResolvedProfile

P = ParamSpec("P")


@dataclass(frozen=True, slots=True)
class Common:
    profile: str | None
    output: OutputFormat
    quiet: bool
    verbose: bool
    silent: bool = False
    wide: bool = False

    def trace(self) -> Callable[[str], None] | None:
        return console.detail if self.verbose else None


def common(
    ctx: typer.Context,
    profile: str | None,
    output: str | None,
    json_flag: bool,
    quiet: int,
    verbose: bool,
    *,
    silent: bool = False,
    wide: bool = False,
) -> Common:
    """Merge a command's common options with the ones given before the subcommand. `quiet`
    counts -q: one prints only ids; two (or --silent) also keeps stderr quiet. Refuses to go
    on with stdout closed (`>&-`): rows would have nowhere to go, so nothing is sent."""
    # Imported here, not at the top: completion and --help load this module, not the output.
    from smscli.output import resolve_format, stdout_usable

    if not stdout_usable():
        raise OutputError(
            "stdout is closed: the rows would have nowhere to go; nothing was done",
            hint="send them somewhere: > rows.tsv, or > /dev/null to keep only the history",
        )
    root = ctx.find_root().obj if ctx.find_root().obj else {}
    # `is None`, not `or`: an empty -p '' must reach the resolver and be refused there.
    profile = profile if profile is not None else root.get("profile")
    output = output or root.get("output")
    json_flag = json_flag or bool(root.get("json"))
    level = max(int(quiet), int(root.get("quiet") or 0))
    verbose = verbose or bool(root.get("verbose"))
    silent = silent or bool(root.get("silent")) or level >= 2
    console.current().set_silent(silent)
    return Common(
        profile=profile,
        output=resolve_format(output, json_flag=json_flag, quiet=level >= 1),
        quiet=level >= 1,
        verbose=verbose,
        silent=silent,
        wide=wide,
    )


def debug() -> bool:
    return os.environ.get("SMSCLI_DEBUG", "") not in ("", "0")


def report_error(exc: SmsCliError | Failure) -> None:
    console.error(exc.message)
    if exc.hint:
        console.detail(f"  {exc.hint}")


def handle_errors(fn: Callable[P, int | None]) -> Callable[P, None]:
    """The error boundary under every command, and the one place a command's exit code becomes
    `typer.Exit`: a command returns its exit code (None or 0 for success) instead of raising;
    expected failures become one line on stderr and their exit code; SMSCLI_DEBUG=1 re-raises
    them for a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            code = fn(*args, **kwargs)
            if code:
                raise typer.Exit(int(code))
        except typer.Exit as exc:
            # --silent: what was held back is printed now that something went wrong.
            console.current().release_held(failed=exc.exit_code != 0)
            raise
        except OutputClosed as exc:
            # The reader went away (`smscli history | head`): not worth a message, but not
            # success either (128 + SIGPIPE, as a shell reports it). A send says more itself.
            if debug():
                raise
            _silence_stdout()
            raise typer.Exit(int(exc.exit_code)) from None
        except SmsCliError as exc:
            console.current().release_held(failed=True)
            if debug():
                raise
            report_error(exc)
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt as exc:
            console.current().release_held(failed=True)
            if debug():
                raise
            console.error(stop_reason(exc))
            raise typer.Exit(stop_exit_code(exc)) from None
        except BrokenPipeError:
            _silence_stdout()
            raise typer.Exit(int(ExitCode.OUTPUT_CLOSED)) from None
        finally:
            console.current().set_silent(False)

    return wrapper


def _silence_stdout() -> None:
    from smscli.output import silence

    silence(console.current().stdout)


def stop_reason(exc: BaseException | None = None) -> str:
    """"interrupted", or which signal stopped smscli (SIGTERM, SIGHUP)."""
    from smscli.signals import NAMES, Stopped, first_signal

    if isinstance(exc, Stopped):
        return NAMES.get(exc.signum, str(exc))
    signum = first_signal()
    return "interrupted" if signum is None else NAMES.get(signum, "interrupted")


def stop_exit_code(exc: BaseException | None = None) -> int:
    """130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP (128 + the signal's number)."""
    from smscli.signals import Stopped, exit_code

    if isinstance(exc, Stopped):
        return exc.exit_code
    return exit_code(int(ExitCode.INTERRUPTED))


def load_profile(
    opts: Common, overrides: dict[str, object | None] | None = None
) -> ResolvedProfile:
    """The profile for this invocation; its warnings (env hiding a saved value, a readable
    config file) go to stderr once."""
    from smscli.settings import load_profile as load

    profile = load(opts.profile, overrides=overrides)
    for warning in profile.warnings:
        console.warn(warning)
    return profile


def open_gateway(profile: ResolvedProfile, opts: Common) -> Gateway:
    """The profile's gateway; its own warnings (e.g. plain HTTP) go to stderr once."""
    from smscli.providers import open_gateway as open_

    gateway = open_(profile, trace=opts.trace())
    for warning in gateway.warnings:
        console.warn(warning)
    # The heavy imports (httpx, the client) are done: the usual garbage collection from here.
    from smscli.entry import started

    started()
    return gateway


def job_profile(opts: Common, job: Job, doing: str) -> ResolvedProfile:
    """A job's own profile, unless -p names another (the same account under another name);
    `doing` completes the warning, e.g. "resuming it"."""
    from dataclasses import replace

    if opts.profile is not None and opts.profile != job.profile:
        console.warn(
            f"job {job.id} was sent with profile {job.profile}; {doing} with profile "
            f"{opts.profile} as -p says"
        )
    prof = load_profile(replace(opts, profile=opts.profile or job.profile))
    if prof.provider != job.provider:
        console.warn(
            f"job {job.id} was sent through {job.provider}; profile {prof.name} uses "
            f"{prof.provider}, whose gateway may not know its messages"
        )
    return prof


def country(profile: ResolvedProfile) -> str | None:
    """The country national numbers belong to (--country, else default_country), checked;
    None when neither is set. phonenumbers is imported only then."""
    code = profile.get_str("default_country")
    if code is None:
        return None
    from smscli.numbers import check_country

    return check_country(code)


def sender_id(profile: ResolvedProfile, gateway: Gateway) -> str | None:
    """The sender ID to send with (option or profile), checked against the provider."""
    from smscli.errors import UsageError

    sender = profile.get_str("sender_id")
    if sender is not None and gateway.max_sender_id == 0:
        raise UsageError(
            f"{gateway.name} has no sender ID",
            hint=f"drop --sender-id (or unset sender_id in profile {profile.name})",
        )
    if sender is not None:
        from smscli.argtext import sender_problem

        problem = sender_problem(sender)
        if problem is not None:
            raise UsageError(f"the sender ID {problem}", hint="a sender ID is one short name")
    if sender is not None and len(sender) > gateway.max_sender_id:
        raise UsageError(
            f"the sender ID is {len(sender)} characters long; at most "
            f"{gateway.max_sender_id} are allowed"
        )
    return sender
