"""`smscli sandbox`: the offline simulator of the v3 API, served over HTTP on loopback."""

from __future__ import annotations

from typing import Annotated

import typer

from smscli import console
from smscli.cli.common import handle_errors

app = typer.Typer(
    help="The offline v3 simulator: try smscli without an account.",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command("serve")
@handle_errors
def serve(
    port: Annotated[
        int, typer.Option("--port", help="Port on 127.0.0.1 (0 = any free one).")
    ] = 8765,
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
) -> None:
    """Serve the sandbox on http://127.0.0.1:PORT (point a profile's base_url at it).

    \b
    Example:
      smscli sandbox serve --port 8765 &
      smscli config set base_url http://127.0.0.1:8765/v3 --profile sandbox
    """
    from smscli.errors import UsageError
    from smscli.gateways.loopback import LoopbackServer
    from smscli.gateways.sandbox import SANDBOX_API_KEY, SANDBOX_APP_ID, Sandbox
    from smscli.settings import data_dir

    if latency < 0 or delivery_delay < 0:
        raise UsageError("--latency and --delivery-delay must not be negative")
    simulator = Sandbox(data_dir() / "sandbox", latency=latency, delivery_delay=delivery_delay)
    try:
        server = LoopbackServer(simulator.handle, port=port, log=console.detail if log else None)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    console.info(f"sandbox listening on {server.url}/v3  (Ctrl-C to stop)")
    console.detail(
        f"  it accepts the vendors' published sample credentials (api_key {SANDBOX_API_KEY}, "
        f"app_id {SANDBOX_APP_ID}), as the built-in sandbox profile uses"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.info("sandbox stopped")
    finally:
        server.shutdown()
        simulator.close()


@app.callback()
def sandbox() -> None:
    """The offline v3 simulator: try smscli without an account."""


@app.command("reset")
@handle_errors
def reset(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Forget every simulated message and restore the simulated balance."""
    import shutil

    from smscli.settings import data_dir

    state = data_dir() / "sandbox"
    if not state.exists():
        console.info("the sandbox has no state yet")
        return
    if not yes and console.interactive() and not typer.confirm(f"Delete {state}?", err=True):
        raise typer.Exit(1)
    shutil.rmtree(state)
    console.info(f"sandbox state deleted ({state})")
