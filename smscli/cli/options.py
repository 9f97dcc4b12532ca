"""The options commands declare: the common ones (-p, -o, -q, --silent, -v, ...) and the
ones of the commands that send (`send`, `batch`). Declarations only: imported by `--help` and
Tab completion, so nothing here imports more than Typer and the bounds in smscli.limits."""

from __future__ import annotations

import math
from typing import Annotated

import typer

from smscli.cli import completion
from smscli.limits import DEFAULT_CONCURRENCY, MAX_CONCURRENCY, MAX_JOB_ID, MAX_RATE, MIN_RATE

COMMON = "Common options"

ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        "-p",
        help="Profile to use (env SMSCLI_PROFILE).",
        rich_help_panel=COMMON,
        autocompletion=completion.profiles,
        show_default=False,
    ),
]
OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        metavar="auto|table|json|jsonl|csv|tsv",
        help="Output format; auto = table on a terminal, TSV when piped.",
        rich_help_panel=COMMON,
        autocompletion=completion.formats,
        show_default=False,
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Same as --output json.", rich_help_panel=COMMON)
]
QQ = "; -qq also keeps stderr quiet unless something goes wrong (for cron)."
QuietOpt = Annotated[
    int,
    typer.Option(
        "--quiet", "-q", count=True, help="Print only msgIds, one per line" + QQ,
        rich_help_panel=COMMON, show_default=False,
    ),
]
SilentOpt = Annotated[
    bool,
    typer.Option(
        "--silent",
        help="Keep stderr quiet unless something goes wrong: summaries and hints are then "
        "printed only with a non-zero exit (for cron, which mails any output). "
        "Warnings and errors are always printed.",
        rich_help_panel=COMMON,
    ),
]
WideOpt = Annotated[
    bool,
    typer.Option(
        "--wide",
        help="Tables: show every column however narrow the terminal "
        "(machine formats always have them all).",
        rich_help_panel=COMMON,
    ),
]
VerboseOpt = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="Log each HTTP exchange to stderr (secrets masked).",
        rich_help_panel=COMMON,
    ),
]


def finite(value: float | None) -> float | None:
    """Option callback: Click's FloatRange lets nan through (every comparison with it is
    false), and inf through a range without a maximum."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter("must be a finite number")
    return value


ConcurrencyOpt = Annotated[
    int | None,
    typer.Option(
        "--concurrency", min=1, max=MAX_CONCURRENCY, metavar="N",
        help="Requests in flight at once (default: the profile's concurrency, "
        f"{DEFAULT_CONCURRENCY}).",
        show_default=False,
    ),
]
RateOpt = Annotated[
    float | None,
    typer.Option(
        "--rate", min=MIN_RATE, max=MAX_RATE, metavar="R", callback=finite,
        help="At most R requests per second (default: the profile's rate, unpaced).",
        show_default=False,
    ),
]


# Options `send` and `batch` share.
GsmOpt = Annotated[
    bool,
    typer.Option(
        "--gsm",
        help="Replace typographic characters (’ ‘ “ ” – — … and the like) with their GSM-7 "
        "equivalents, so that one of them does not make the message UCS-2 (70 characters "
        "a segment instead of 160).",
    ),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Print the planned requests; send nothing.")
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
ResumeOpt = Annotated[
    int | None,
    typer.Option(
        "--resume",
        metavar="JOB",
        min=1,
        max=MAX_JOB_ID,
        help="Continue an interrupted job from the history: only requests that never left "
        "are sent (see `smscli history`).",
        show_default=False,
        autocompletion=completion.resumable_job_ids,
    ),
]
ResendUnknownOpt = Annotated[
    bool,
    typer.Option(
        "--resend-unknown",
        help="With --resume: also resend requests whose outcome is unknown "
        "(the gateway may have received them: those numbers may get the message twice).",
    ),
]
ResendRefusedOpt = Annotated[
    bool,
    typer.Option(
        "--resend-refused",
        help="With --resume: also send requests the gateway refused before processing them "
        "(balance, authentication, IP whitelist, locked account, pricing), once the cause is "
        "fixed: nothing of them was sent.",
    ),
]
NoHistoryOpt = Annotated[
    bool,
    typer.Option(
        "--no-history",
        help="Do not record this job in the local history (it cannot be resumed).",
    ),
]


CountryOpt = Annotated[
    str | None,
    typer.Option(
        "--country",
        metavar="CC",
        help="Read national numbers (07700 900123) as numbers of this country, e.g. GB "
        "(default: the profile's default_country).",
        show_default=False,
    ),
]
