"""`smscli config init`: create a profile, asking on a terminal and reading options (and the
secret from stdin) in scripts; a sandbox profile asks nothing. Registered on the `config` app
by smscli.cli.config."""

from __future__ import annotations

from typing import Annotated

import typer

from smscli import configfile, console, profilekeys, settings
from smscli.cli.common import handle_errors
from smscli.cli.config_ask import (
    check_options,
    choose_default,
    choose_provider,
    gather_interactive,
    gather_scripted,
    profile_option,
    sandbox_provider,
)
from smscli.errors import ConfigError


def _init_sandbox(name: str, provider: str, make_default: bool | None, force: bool) -> None:
    path = configfile.write_profile(
        name,
        {"provider": provider},
        make_default=True if make_default is None else make_default,
        force=force,
    )
    _report_written(name, provider, path)


def _report_written(name: str, provider: str, path: object) -> None:
    console.info(f"wrote profile '{name}' ({provider}) to {path}")
    default = next((p.name for p in settings.list_profiles() if p.default), None)
    if default:
        console.info(f"default profile: {default}")
    flag = "" if default == name else f" -p {name}"
    if provider in profilekeys.SANDBOX_PROVIDERS:
        console.info(f"next: smscli send{flag} 8613800000000 -m 'hello' (offline, sends nothing)")
    else:
        console.info(
            f"next: smscli config show{flag}, then smscli balance{flag} "
            "(checks the credentials, sends nothing)"
        )


def _existing_profile(name: str) -> bool:
    data = configfile.read_config_for_update(configfile.config_path())
    profiles = data.get("profiles")
    return isinstance(profiles, dict) and name in profiles


def _secrets_to_keyring(name: str) -> None:
    """A new profile's secrets go to the OS keyring when one is available (the 0600 file
    stays their place on servers without one)."""
    from smscli import secrets

    if secrets.available():
        moved = secrets.move(name, secrets.KEYRING)
        if moved:
            console.info(
                f"{', '.join(moved)} of profile '{name}' stored in the OS keyring "
                f"({secrets.backend_name()})"
            )


@handle_errors
def init(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            "-p",
            help="Name of the profile to create [default: main].",
            show_default=False,
        ),
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(help=f"Gateway: {' | '.join(profilekeys.PROVIDERS)}.", show_default=False),
    ] = None,
    api_key: Annotated[str | None, typer.Option(help="API key.", show_default=False)] = None,
    app_id: Annotated[str | None, typer.Option(help="Application id.", show_default=False)] = None,
    sender_id: Annotated[
        str | None, typer.Option(help="Default sender id (optional).", show_default=False)
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            help="API base URL, to override the provider's default host.", show_default=False
        ),
    ] = None,
    api_secret_stdin: Annotated[
        bool, typer.Option("--api-secret-stdin", help="Read the API secret from stdin.")
    ] = False,
    corp_id: Annotated[
        str | None, typer.Option(help="mobset enterprise id (CorpID).", show_default=False)
    ] = None,
    login_name: Annotated[
        str | None, typer.Option(help="mobset login name (LoginName).", show_default=False)
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the mobset login password from stdin."),
    ] = False,
    sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox",
            help="Write a 'sandbox' profile (offline simulator) and make "
            "it the default; asks nothing. With --provider sandbox-mobset: the mobset one.",
        ),
    ] = False,
    sandbox_mobset: Annotated[
        bool,
        typer.Option(
            "--sandbox-mobset",
            help="Write a 'sandbox-mobset' profile (offline mobset simulator) and make it "
            "the default; asks nothing.",
        ),
    ] = False,
    default: Annotated[
        bool | None,
        typer.Option(
            "--default/--no-default",
            help="Make it the default profile [default: only when there is no default yet].",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing profile.")] = False,
) -> None:
    """Create a profile: asks on a terminal; in scripts every answer comes from options and the
    secret from stdin (--api-secret-stdin, or --password-stdin for mobset).

    \b
    Examples:
      smscli config init --sandbox
      smscli config init --sandbox-mobset
      printf '%s\\n' "$SECRET" | smscli config init --provider laaffic --api-key KEY \\
          --app-id ID --api-secret-stdin
      printf '%s\\n' "$PASSWORD" | smscli config init --provider mobset --corp-id 100001 \\
          --login-name NAME --password-stdin
    """
    interactive = console.interactive()
    name = profile_option(ctx, profile)
    if sandbox or sandbox_mobset:
        chosen_sandbox = sandbox_provider(provider, sandbox_mobset)
        _init_sandbox(name or chosen_sandbox, chosen_sandbox, default, force)
        return
    if name is None and interactive:
        name = typer.prompt("profile name", default=profilekeys.DEFAULT_PROFILE_NAME)
    name = configfile.check_profile_name(name or profilekeys.DEFAULT_PROFILE_NAME)
    if _existing_profile(name) and not force:
        raise ConfigError(
            f"profile '{name}' already exists in {configfile.config_path()}",
            hint=f"add --force to replace it, or change one key: smscli config "
            f"set KEY VALUE --profile {name}",
        )
    chosen = choose_provider(provider, interactive)
    given = {
        "api_key": api_key,
        "app_id": app_id,
        "corp_id": corp_id,
        "login_name": login_name,
        "sender_id": sender_id,
        "base_url": base_url,
    }
    check_options(chosen, given, {"api_secret": api_secret_stdin, "password": password_stdin})
    gather = gather_interactive if interactive else gather_scripted
    values = gather(chosen, given, api_secret_stdin or password_stdin)
    make_default = choose_default(name, default, interactive)
    path = configfile.write_profile(name, values, make_default=make_default, force=force)
    _secrets_to_keyring(name)
    _report_written(name, chosen, path)
