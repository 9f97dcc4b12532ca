"""`smscli sandbox`: the offline simulators (v3 and mobset), served over HTTP on loopback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from smscli import console
from smscli.cli.common import handle_errors

if TYPE_CHECKING:
    from smscli.sandbox.common import Simulator

app = typer.Typer(
    help="The offline simulators (v3, mobset): try smscli without an account.",
    epilog="""\b
Examples:
  smscli send -p sandbox 447700900123 -m hi     the built-in sandbox profile
  smscli sandbox serve --port 8765              the v3 simulator over HTTP, 127.0.0.1
  smscli sandbox serve --mobset                 the mobset SDK3 simulator
  smscli sandbox reset -y                       forget every simulated message
""",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

V3_PORT = 8765
MOBSET_PORT = 8766


@app.command("serve")
@handle_errors
def serve(
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            help=f"Port on 127.0.0.1 (0 = any free one) [default: {V3_PORT}, "
            f"{MOBSET_PORT} with --mobset].",
            show_default=False,
        ),
    ] = None,
    mobset: Annotated[
        bool,
        typer.Option("--mobset", help="Serve the mobset SDK3 simulator instead of the v3 one."),
    ] = False,
    latency: Annotated[
        float, typer.Option("--latency", metavar="SECONDS", help="Delay added to every answer.")
    ] = 0.0,
    delivery_delay: Annotated[
        float,
        typer.Option(
            "--delivery-delay", metavar="SECONDS", help="Seconds before a message turns delivered."
        ),
    ] = 3.0,
    log: Annotated[bool, typer.Option("--log", help="Log each request to stderr.")] = False,
    quirk: Annotated[
        list[str] | None,
        typer.Option(
            "--quirk",
            metavar="NAME[,NAME]",
            help="Answer as real gateways do (repeatable; also SMSCLI_SANDBOX_QUIRKS): "
            "see `smscli sandbox quirks`.",
            show_default=False,
        ),
    ] = None,
    sent_page_size: Annotated[
        int,
        typer.Option(
            "--sent-page-size", min=1, max=50_000, metavar="N",
            help="v3: records per getSentRcd answer (the platform's 50,000; lower to try paging).",
        ),
    ] = 50_000,
    sent_rcd_interval: Annotated[
        float,
        typer.Option(
            "--sent-rcd-interval", min=0, metavar="SECONDS",
            help="v3: answer -15 (too frequent) to getSentRcd calls closer than this "
            "(the platform's FAQ: 60). 0 = no limit.",
        ),
    ] = 0.0,
    status_dialect: Annotated[
        str,
        typer.Option(
            "--status-dialect", metavar="zh|en",
            help="v3: getSentRcd's failed status: 1 (zh pages: 0/-1/1) or 2 (en pages: 0/2).",
        ),
    ] = "zh",
) -> None:
    """Serve a sandbox on http://127.0.0.1:PORT (point a profile's base_url at it).

    \b
    Examples:
      smscli sandbox serve --port 8765 &
      smscli config set base_url http://127.0.0.1:8765/v3 --profile sandbox
    \b
      smscli sandbox serve --mobset --port 8766 &
      smscli config init --sandbox-mobset
      smscli config set base_url http://127.0.0.1:8766/SDK3/SMS --profile sandbox-mobset
    \b
      smscli sandbox serve --quirk bom --quirk numbers,no-credit
    """
    import os

    from smscli.errors import UsageError
    from smscli.sandbox import quirks as q
    from smscli.sandbox.loopback import LoopbackServer

    if latency < 0 or delivery_delay < 0:
        raise UsageError("--latency and --delivery-delay must not be negative")
    # Checked here, not by the option's range: bind() would raise OverflowError (a
    # traceback), and a range would change the help text.
    if port is not None and not 0 <= port <= 65535:
        raise UsageError(f"--port {port}: choose a port from 0 to 65535 (0 = any free one)")
    if status_dialect not in ("zh", "en"):
        raise UsageError(f"--status-dialect {status_dialect!r}: choose zh or en")
    try:
        given = [*(quirk or []), os.environ.get("SMSCLI_SANDBOX_QUIRKS", "")]
        chosen = q.for_simulator(given, mobset=mobset)
    except q.QuirkError as exc:
        raise UsageError(str(exc), hint=exc.hint) from None
    if port is None:
        port = MOBSET_PORT if mobset else V3_PORT
    options = {"latency": latency, "delivery_delay": delivery_delay, "quirks": chosen}
    if not mobset:
        options.update(sent_page_size=sent_page_size, sent_rcd_interval=sent_rcd_interval,
                       status_dialect=status_dialect)
    simulator, lines = _opened(mobset, options)
    if chosen:
        console.info(f"quirks: {', '.join(sorted(chosen))}")
    with simulator:
        try:
            server = LoopbackServer(simulator.handle, port=port,
                                    log=console.detail if log else None)
        except OSError as exc:
            raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
        console.info(lines[0].format(url=server.url))
        for line in lines[1:]:
            console.detail(line.format(url=server.url))
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            console.info("sandbox stopped")
        finally:
            server.shutdown()


def _opened(mobset: bool, options: dict[str, Any]) -> tuple[Simulator, tuple[str, ...]]:
    """The simulator on the data dir's state (as the in-process profiles use it), and what to
    print once it listens."""
    from smscli.sandbox import local
    from smscli.settings import data_dir

    if mobset:
        return local.open_mobset(data_dir(), **options), local.MOBSET_BANNER
    return local.open_v3(data_dir(), **options), local.V3_BANNER


@app.callback()
def sandbox() -> None:
    """The offline simulators (v3, mobset): try smscli without an account."""


@app.command("quirks")
@handle_errors
def quirks() -> None:
    """List the quirk modes: answers shaped as real gateways send them.

    Switch them on with `sandbox serve --quirk NAME`, the profile key sandbox_quirks (for the
    in-process sandbox profiles), or SMSCLI_SANDBOX_QUIRKS=NAME,NAME.
    """
    from smscli.sandbox.quirks import MOBSET_QUIRKS, V3_QUIRKS

    for title, table in (("v3 (sandbox)", V3_QUIRKS), ("mobset (sandbox-mobset)", MOBSET_QUIRKS)):
        typer.echo(f"{title}:", file=console.current().stdout)
        width = max(len(name) for name in table)
        for name, meaning in table.items():
            typer.echo(f"  {name.ljust(width)}  {meaning}", file=console.current().stdout)


@app.command("reset")
@handle_errors
def reset(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> int:
    """Forget every simulated message and restore the simulated balances (v3 and mobset)."""
    import shutil

    from smscli.sandbox.local import STATE_DIRS
    from smscli.settings import data_dir

    states = [data_dir() / name for name in STATE_DIRS if (data_dir() / name).exists()]
    if not states:
        console.info("the sandbox has no state yet")
        return 0
    shown = ", ".join(str(state) for state in states)
    if not yes and console.interactive() and not typer.confirm(f"Delete {shown}?", err=True):
        return 1
    for state in states:
        shutil.rmtree(state)
        console.info(f"sandbox state deleted ({state})")
    return 0


@app.command("inbound")
@handle_errors
def inbound(
    number: Annotated[str, typer.Argument(help="The phone that writes (any way `send` takes).")],
    text: Annotated[str, typer.Argument(help="What it writes.")],
    mobset: Annotated[
        bool, typer.Option("--mobset", help="To the mobset simulator instead of the v3 one.")
    ] = False,
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="NUMBER", help="The account's number it writes to.",
                     show_default=False),
    ] = None,
) -> None:
    """Simulate a reply: an inbound message from NUMBER, which recordMo (v3) or SmsGetRecv
    (mobset) then hands out, so `smscli inbox` and `smscli lookup` have something to show.

    It goes into the simulator's state in the data dir, which the in-process sandbox
    profiles and `smscli sandbox serve` share.

    
    Examples:
      smscli sandbox inbound 447700900123 "STOP"
      smscli sandbox inbound --mobset 8613800000000 "收到，谢谢"
    """
    from smscli.cli.syncing import normalized
    from smscli.settings import data_dir

    sender = normalized(number)
    if not text.strip():
        from smscli.errors import InputError

        raise InputError("the inbound message is empty")
    from smscli.sandbox.local import open_mobset, open_v3

    if mobset:
        with open_mobset(data_dir()) as sb:
            sb.inject_inbound(sender, text, to=to)
    else:
        with open_v3(data_dir()) as v3:
            v3.account.inject_inbound(sender, text, to=to)
    which = "mobset sandbox" if mobset else "sandbox"
    console.info(f"{which}: inbound message from {sender} queued")
