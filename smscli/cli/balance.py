"""`smscli balance`: what is left on the account, and an exit code cron can alert on."""

# No `from __future__ import annotations` here: Typer reads this command's signature twice
# (typing.get_type_hints), and string annotations would be compiled and evaluated each time,
# ~2 ms of every run of the command; evaluated once at import, they cost almost nothing.

from typing import TYPE_CHECKING, Annotated

import typer

from smscli import console
from smscli.cli import common as c
from smscli.cli import options as o
from smscli.errors import ExitCode, SmsCliError
from smscli.limits import MAX_AMOUNT
from smscli.output import OutputFormat, write_object
from smscli.providers import is_sandbox

if TYPE_CHECKING:
    from smscli.gateways.base import Balance
    from smscli.settings import ResolvedProfile


QuietOpt = Annotated[
    int,
    typer.Option(
        "--quiet", "-q", count=True, help="Print only the balance amount" + o.QQ,
        rich_help_panel=o.COMMON, show_default=False,
    ),
]


@c.handle_errors
def balance(
    ctx: typer.Context,
    below: Annotated[
        float | None,
        typer.Option(
            "--below",
            metavar="AMOUNT",
            min=0,
            max=MAX_AMOUNT,
            callback=o.finite,
            help="Exit 3 with a warning when the balance is below AMOUNT "
            "(default: the profile's low_balance).",
            show_default=False,
        ),
    ] = None,
    profile: o.ProfileOpt = None,
    output: o.OutputOpt = None,
    json_flag: o.JsonOpt = False,
    quiet: QuietOpt = 0,
    silent: o.SilentOpt = False,
    verbose: o.VerboseOpt = False,
) -> int | None:
    """Show the account balance, gift and credit.

    Amounts are shown exactly as the gateway sent them; mobset's balance is a number of
    messages (unit: messages). With -q only the balance is printed.

    \b
    Examples:
      smscli balance
      smscli balance --json
      smscli balance -p prod --below 50 -q   # cron: exit 3 when running low
    """
    from smscli.balance import balance_below
    from smscli.reads import QUERY_RETRY, call_with_retry

    opts = c.common(ctx, profile, output, json_flag, quiet, verbose, silent=silent)
    prof = c.load_profile(opts)
    gateway = c.open_gateway(prof, opts)
    try:
        result = call_with_retry(gateway.get_balance, QUERY_RETRY, on_retry=_retrying)
    finally:
        gateway.close()
    _write(_record(result, prof), opts.output)
    if result.balance is None:
        console.warn("the gateway's answer has no balance (missing or null)")
    if is_sandbox(prof):
        console.detail("sandbox: simulated balance")
    threshold = below if below is not None else prof.get_float("low_balance")
    if threshold is not None and balance_below(result.balance, threshold):
        source = "--below" if below is not None else f"low_balance of profile '{prof.name}'"
        unit = f" {result.extra['unit']}" if result.extra.get("unit") else ""
        console.warn(
            f"balance {result.balance}{unit} is below {_amount(threshold)}{unit} ({source})"
        )
        return ExitCode.PARTIAL
    return None


def _amount(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _retrying(exc: SmsCliError, attempt: int, pause: float) -> None:
    console.detail(f"getBalance: {exc.message}; trying again in {pause:.1f} s")


def _record(result: "Balance", prof: "ResolvedProfile") -> dict[str, object]:
    record: dict[str, object] = {"balance": result.balance}
    # What the balance counts, when it is not money (mobset: messages left).
    if result.extra.get("unit"):
        record["unit"] = result.extra["unit"]
    record["gift"] = result.gift
    record["credit"] = result.credit
    if result.currency is not None:
        record["currency"] = result.currency
    record["profile"] = prof.name
    record["provider"] = prof.provider
    return record


def _write(record: dict[str, object], fmt: OutputFormat) -> None:
    if fmt is OutputFormat.IDS:
        if record["balance"] is not None:
            typer.echo(str(record["balance"]), file=console.current().stdout)
    else:
        write_object(record, fmt)
