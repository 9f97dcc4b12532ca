"""`smscli config set`, `unset` and `move-secrets`: change one key of a profile, or where its
secrets live. Registered on the `config` app by smscli.cli.config."""

from __future__ import annotations

from typing import Annotated

import typer

from smscli import configfile, console, profilekeys
from smscli.cli import completion
from smscli.cli import options as o
from smscli.cli.common import handle_errors
from smscli.cli.config_ask import target_profile, value_from_stdin
from smscli.errors import ConfigError

SET_HELP = (
    "Save KEY = VALUE in a profile. VALUE `-` reads it from stdin (a hidden prompt on a "
    "terminal); secrets are accepted only that way. A new profile is created by setting its "
    "provider first.\n\n"
)


@handle_errors
def set_(
    ctx: typer.Context,
    key: Annotated[
        str,
        typer.Argument(metavar="KEY", show_default=False, autocompletion=completion.config_keys),
    ],
    value: Annotated[str, typer.Argument(metavar="VALUE", show_default=False)],
    profile: o.ProfileOpt = None,
) -> None:
    info = profilekeys.key_info(key)
    name = target_profile(ctx, profile)
    if value == "-":
        value = value_from_stdin(key)
        if info.secret:
            from smscli import secrets

            place = secrets.store(name, key, value)
            where = (
                f"the OS keyring ({secrets.backend_name()})"
                if place == secrets.KEYRING
                else f"{configfile.config_path()} (mode 0600)"
            )
            console.info(f"saved {key} (hidden) of profile '{name}' in {where}")
            return
    elif info.secret:
        # The value is already in shell history; at least don't save it and make it a habit.
        raise ConfigError(
            f"refusing {key} as a command-line value (it would be kept in shell history and "
            "shown in ps)",
            hint=f"run: smscli config set {key} - --profile {name} (type it at the prompt, or "
            "pipe it on stdin)",
        )
    saved = configfile.set_value(name, key, value)
    shown = "(hidden)" if info.secret else profilekeys.mask(key, saved)
    console.info(f"saved {key} = {shown} in profile '{name}' ({configfile.config_path()})")


@handle_errors
def unset(
    ctx: typer.Context,
    key: Annotated[
        str,
        typer.Argument(metavar="KEY", show_default=False, autocompletion=completion.config_keys),
    ],
    profile: o.ProfileOpt = None,
) -> None:
    """Remove KEY from a profile (it falls back to its default)."""
    name = target_profile(ctx, profile)
    in_keyring = profilekeys.key_info(key).secret and keeps_in_keyring(name)
    if in_keyring:
        from smscli import secrets

        if secrets.delete(name, key):
            console.info(f"removed {key} of profile '{name}' from the OS keyring")
    if configfile.unset_value(name, key):
        console.info(f"removed {key} from profile '{name}'")
    elif in_keyring:
        return
    else:
        console.info(f"{key} was not set in profile '{name}'")


def keeps_in_keyring(name: str) -> bool:
    data = configfile.read_config_for_update(configfile.config_path())
    profiles = data.get("profiles")
    table = profiles.get(name) if isinstance(profiles, dict) else None
    return isinstance(table, dict) and table.get("secrets") == "keyring"


@handle_errors
def move_secrets(
    ctx: typer.Context,
    to: Annotated[
        str,
        typer.Argument(
            metavar="keyring|file",
            autocompletion=completion.secret_places,
            help="keyring: the OS keyring (macOS Keychain, Windows Credential Locker, Secret "
            "Service); file: the 0600 config file, for headless servers and cron.",
            show_default=False,
        ),
    ],
    profile: o.ProfileOpt = None,
) -> None:
    """Move a profile's secrets (api_secret, mobset's password) into the OS keyring, or back
    into the config file. Each is written and read back at its new place before the old copy
    is removed.

    \b
    Examples:
      smscli config move-secrets keyring -p prod
      smscli config move-secrets file -p prod      for a server without a keyring
    """
    from smscli import secrets

    if to not in (secrets.KEYRING, secrets.FILE):
        raise ConfigError(f"move-secrets {to!r}: choose keyring or file")
    name = target_profile(ctx, profile)
    moved = secrets.move(name, to)
    where = (
        f"the OS keyring ({secrets.backend_name()})"
        if to == secrets.KEYRING
        else f"{configfile.config_path()} (mode 0600)"
    )
    what = ", ".join(moved) if moved else "no secret to move"
    console.info(f"profile '{name}': {what}; its secrets now live in {where}")
