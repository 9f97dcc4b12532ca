"""`smscli config get`, `show`, `list`, `use`, `remove` and `path`: read the profiles, choose
the default one, delete one. Registered on the `config` app by smscli.cli.config."""

from __future__ import annotations

from typing import Annotated

import typer

from smscli import configfile, console, profilekeys, settings
from smscli.cli import common as c
from smscli.cli import completion
from smscli.cli import options as o
from smscli.cli.common import handle_errors
from smscli.cli.config_ask import profile_option, show_warnings
from smscli.cli.config_edit import keeps_in_keyring
from smscli.errors import ConfigError, ExitCode
from smscli.output import Column, write_rows

NOT_SET = "not set"
SHOW_COLUMNS = [
    Column("key", "Key"),
    Column("value", "Value", fold=True),
    Column("source", "Source", fold=True),
]
LIST_COLUMNS = [
    Column("name", "Profile"),
    Column("provider", "Provider"),
    Column("default", "Default"),
    Column("built_in", "Built-in"),
]


@handle_errors
def get(
    ctx: typer.Context,
    key: Annotated[
        str,
        typer.Argument(metavar="KEY", show_default=False, autocompletion=completion.config_keys),
    ],
    profile: o.ProfileOpt = None,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Print a secret or the API key in full.")
    ] = False,
) -> None:
    """Print KEY's resolved value (option > env > profile > default) on stdout."""
    info = profilekeys.key_info(key)
    prof = settings.load_profile(profile_option(ctx, profile))
    show_warnings(prof.warnings)
    value = prof.get(key)
    if value is None:
        raise profilekeys.missing_key_error(prof.name, key, prof.path)
    if (info.secret or info.partly_secret) and not reveal:
        raise ConfigError(
            f"{key} is secret: add --reveal to print it",
            hint=f"smscli config show -p {prof.name} shows it masked",
        )
    typer.echo(_plain(value), file=console.current().stdout)


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --------------------------------------------------------------------------- show / list


@handle_errors
def show(
    ctx: typer.Context,
    profile: o.ProfileOpt = None,
    output: o.OutputOpt = None,
    json_flag: o.JsonOpt = False,
) -> None:
    """Every key of a profile, resolved, with where its value came from (secrets masked)."""
    opts = c.common(ctx, profile, output, json_flag, False, False)
    prof = settings.load_profile(opts.profile)
    show_warnings(prof.warnings)
    rows: list[dict[str, object]] = [
        {"key": "profile", "value": prof.name, "source": prof.name_source},
    ]
    for info in profilekeys.keys_for(prof.provider):
        setting = prof.values.get(info.name)
        if setting is None:
            rows.append({"key": info.name, "value": None, "source": _unset_source(prof, info)})
        else:
            rows.append(
                {
                    "key": info.name,
                    "value": profilekeys.mask(info.name, setting.value),
                    "source": setting.source,
                }
            )
    write_rows(
        rows,
        SHOW_COLUMNS,
        opts.output,
        title=f"profile {prof.name} ({prof.provider}) — {prof.path}",
    )


def _unset_source(prof: settings.ResolvedProfile, info: profilekeys.Key) -> str:
    if info.name == "secrets":
        from smscli import secrets

        place = "the OS keyring" if secrets.available() else "the config file (no keyring here)"
        return f"{NOT_SET}: a secret set now goes to {place}"
    if prof.provider in profilekeys.SANDBOX_PROVIDERS and info.credential and info.required_by:
        return f"{NOT_SET} (the sandbox uses its own test credentials)"
    return NOT_SET


@handle_errors
def list_(
    ctx: typer.Context,
    output: o.OutputOpt = None,
    json_flag: o.JsonOpt = False,
) -> None:
    """Profiles with their provider, the default one, and the built-in sandbox."""
    opts = c.common(ctx, None, output, json_flag, False, False)
    path = configfile.config_path()
    rows = [
        {"name": p.name, "provider": p.provider, "default": p.default, "built_in": p.built_in}
        for p in settings.list_profiles(path)
    ]
    write_rows(rows, LIST_COLUMNS, opts.output, title=str(path))


# --------------------------------------------------------------------------- use / remove / path


@handle_errors
def use(
    name: Annotated[
        str, typer.Argument(metavar="NAME", show_default=False, autocompletion=completion.profiles)
    ],
) -> None:
    """Make NAME the default profile."""
    configfile.set_default(name)
    console.info(f"default profile: {name} ({configfile.config_path()})")


@handle_errors
def remove(
    name: Annotated[
        str, typer.Argument(metavar="NAME", show_default=False, autocompletion=completion.profiles)
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> int | None:
    """Delete a profile (asks first on a terminal). If it was the default, no default remains."""
    path = configfile.config_path()
    known = {p.name: p for p in settings.list_profiles(path)}
    asks = name in known and not known[name].built_in and not yes and console.interactive()
    if asks and not typer.confirm(f"Remove profile '{name}' from {path}?", default=False):
        console.info("nothing removed")
        return ExitCode.REJECTED  # declined: exit 1, as before
    in_keyring = keeps_in_keyring(name)
    was_default = configfile.remove_profile(name, path=path)
    if in_keyring:
        from smscli import secrets

        secrets.forget(name, known[name].provider if name in known else None)
    console.info(f"removed profile '{name}' from {path}")
    if was_default:
        console.info("it was the default: choose another with smscli config use NAME")
    return None


@handle_errors
def path() -> None:
    """Print the config file's path (env SMSCLI_CONFIG overrides it)."""
    typer.echo(str(configfile.config_path()), file=console.current().stdout)
