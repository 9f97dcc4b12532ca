"""`smscli config`: create, inspect and edit profiles. The file format, precedence and
validation live in smscli.settings; this module only asks, reads stdin and renders.

Secrets never arrive as option or argument values (they would land in shell history and in
`ps`): they are typed at a hidden prompt or read from stdin."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated

import typer

from smscli import configfile, console, profilekeys, settings
from smscli.cli import common as c
from smscli.cli import completion
from smscli.cli.common import handle_errors
from smscli.errors import ConfigError
from smscli.output import Column, write_rows

app = typer.Typer(
    help="Create, inspect and edit profiles (provider, credentials, tunables). Secrets live "
    "in the OS keyring when there is one, else in the 0600 config file.",
    epilog="""\b
Examples:
  smscli config init                         asks for provider, api_key, secret, app_id
  smscli config init --sandbox               a sandbox profile, made the default
  smscli config set api_secret - -p prod     the secret at a hidden prompt, or piped in
  smscli config show -p prod                 every value, and where each one lives
  smscli config move-secrets file -p prod    out of the keyring (a server, cron)
  smscli config use prod
""",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

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


def _profile_option(ctx: typer.Context, profile: str | None) -> str | None:
    """The command's --profile, else the one given before the subcommand (`smscli -p x config`)."""
    if profile:
        return profile
    root = ctx.find_root().obj
    return root.get("profile") if isinstance(root, dict) else None


def _target_profile(ctx: typer.Context, profile: str | None) -> str:
    """The profile a write goes to: the same choice `load_profile` makes, without requiring
    the profile to be complete (fixing an incomplete profile is what `set` is for)."""
    name, _ = settings.choose_profile_name(_profile_option(ctx, profile))
    return name


def _show_warnings(warnings: Iterable[str]) -> None:
    for text in warnings:
        console.warn(text)


# --------------------------------------------------------------------------- secrets


def _read_stdin_line(key: str) -> str:
    line = sys.stdin.readline()
    value = line.strip()  # a trailing newline or pasted blank is never part of a key
    if not value:
        raise ConfigError(
            f"no value for {key} on stdin",
            hint="pipe it in, e.g.: printf '%s\\n' \"$VALUE\" | smscli config ...",
        )
    return value


def _ask_secret(key: str) -> str:
    value: str = typer.prompt(key, hide_input=True)
    value = value.strip()
    if not value:
        raise ConfigError(f"{key} must not be empty")
    return value


def _value_from_stdin(key: str) -> str:
    """`-`: a prompt when a person types it (hidden for secrets), otherwise one line from the
    pipe."""
    if not console.stdin_is_tty():
        return _read_stdin_line(key)
    info = profilekeys.KEYS[key]
    if info.secret or info.partly_secret:
        return _ask_secret(key)
    answer: str = typer.prompt(key)
    return answer.strip()


# --------------------------------------------------------------------------- init


def _init_sandbox(name: str, provider: str, make_default: bool | None, force: bool) -> None:
    path = configfile.write_profile(
        name,
        {"provider": provider},
        make_default=True if make_default is None else make_default,
        force=force,
    )
    _report_written(name, provider, path)


def _sandbox_provider(provider: str | None, sandbox_mobset: bool) -> str:
    """The simulator `--sandbox [--provider P]` / `--sandbox-mobset` asks for."""
    if sandbox_mobset:
        if provider not in (None, profilekeys.SANDBOX_MOBSET):
            raise ConfigError(
                f"--sandbox-mobset makes a {profilekeys.SANDBOX_MOBSET} profile: drop --provider"
            )
        return profilekeys.SANDBOX_MOBSET
    if provider is None:
        return profilekeys.SANDBOX
    if provider not in profilekeys.SANDBOX_PROVIDERS:
        raise ConfigError(
            f"--sandbox makes a simulator profile, not a {provider} one",
            hint=f"--provider {profilekeys.SANDBOX} or {profilekeys.SANDBOX_MOBSET}, "
            "or drop --sandbox",
        )
    return provider


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


def _check_answer(key: str) -> Callable[[str], str]:
    """A prompt's value_proc: a bad answer is asked again instead of ending the command."""

    def proc(text: str) -> str:
        text = text.strip()
        if not text:
            return text
        try:
            profilekeys.parse_value(key, text)
        except ValueError as exc:
            raise typer.BadParameter(f"{key} {exc}") from None
        return text

    return proc


def _prompt(key: str, *, required: bool, default: str | None = None) -> str | None:
    info = profilekeys.KEYS[key]
    label = info.description if required else f"{info.description} (Enter to skip)"
    if default is None and not required:
        default = ""  # Enter skips an optional key
    while True:
        answer = typer.prompt(
            f"{key} — {label}",
            default=default,
            show_default=bool(default),
            value_proc=_check_answer(key),
        )
        if answer or not required:
            return answer or None
        console.warn(f"{key} is required")


def _gather_interactive(
    provider: str, given: Mapping[str, str | None], secret_stdin: bool
) -> dict[str, object]:
    values: dict[str, object] = {"provider": provider}
    required = set(profilekeys.required_keys(provider))
    for info in profilekeys.keys_for(provider):
        if not info.credential:
            continue
        if given.get(info.name):
            values[info.name] = given[info.name]
        elif info.secret:
            if secret_stdin:
                values[info.name] = _read_stdin_line(info.name)
            elif info.name in required:
                values[info.name] = _ask_secret(info.name)
        elif provider not in profilekeys.SANDBOX_PROVIDERS:
            # A sandbox needs nothing: don't make someone trying it answer questions.
            default = profilekeys.PROVIDERS[provider] if info.name == "base_url" else None
            answer = _prompt(info.name, required=info.name in required, default=default)
            if answer and not (info.name == "base_url" and answer == default):
                values[info.name] = answer
    return values


def _gather_scripted(
    provider: str, given: Mapping[str, str | None], secret_stdin: bool
) -> dict[str, object]:
    values: dict[str, object] = {"provider": provider}
    missing: list[str] = []
    for info in profilekeys.keys_for(provider):
        if not info.credential:
            continue
        required = info.name in profilekeys.required_keys(provider)
        if info.secret:
            if secret_stdin:
                values[info.name] = _read_stdin_line(info.name)
            elif required:
                missing.append(f"{_secret_flag(info.name)} (and the {info.name} on stdin)")
        elif given.get(info.name):
            values[info.name] = given[info.name]
        elif required:
            missing.append(f"--{info.name.replace('_', '-')}")
    if missing:
        raise ConfigError(
            f"not on a terminal, so nothing can be asked: {provider} needs {', '.join(missing)}",
            hint=f"e.g. {_scripted_example(provider)}",
        )
    return values


# The option that reads each secret from stdin.
SECRET_FLAGS = {"api_secret": "--api-secret-stdin", "password": "--password-stdin"}


def _secret_flag(key: str) -> str:
    return SECRET_FLAGS.get(key, f"--{key.replace('_', '-')}-stdin")


def _scripted_example(provider: str) -> str:
    required = profilekeys.required_keys(provider)
    options = " ".join(
        _secret_flag(k) if profilekeys.KEYS[k].secret else f"--{k.replace('_', '-')} {k.upper()}"
        for k in required
    )
    secret = next((k for k in required if profilekeys.KEYS[k].secret), "secret")
    command = f"smscli config init --provider {provider} {options}".rstrip()
    return f"printf '%s\\n' \"${secret.upper()}\" | {command}"


def _check_options(
    provider: str, given: Mapping[str, str | None], secret_flags: Mapping[str, bool]
) -> None:
    """Options the provider does not use are refused, rather than silently dropped."""
    used = {k.name for k in profilekeys.keys_for(provider)}
    flags = [
        _secret_flag(k.name) if k.secret else f"--{k.name.replace('_', '-')}"
        for k in profilekeys.keys_for(provider)
        if k.credential
    ]
    for key, value in given.items():
        if value and key not in used:
            problem = (
                f"{provider} has no sender ID"
                if key == "sender_id"
                else f"--{key.replace('_', '-')} is not used by provider {provider}"
            )
            raise ConfigError(problem, hint=f"options for {provider}: {', '.join(flags)}")
    for key, flag in secret_flags.items():
        if flag and key not in used:
            secret = next((k.name for k in profilekeys.keys_for(provider) if k.secret), None)
            better = f": use {_secret_flag(secret)}" if secret else ""
            raise ConfigError(f"{_secret_flag(key)} is not used by provider {provider}{better}")


def _choose_provider(provider: str | None, interactive: bool) -> str:
    if provider is None and interactive:
        provider = typer.prompt(
            f"provider ({' | '.join(profilekeys.PROVIDERS)})",
            default="laaffic",
            value_proc=_check_answer("provider"),
        )
    if not provider:
        raise ConfigError(
            "--provider is required when not on a terminal",
            hint=f"one of {', '.join(profilekeys.PROVIDERS)}; or: smscli config init --sandbox",
        )
    try:
        profilekeys.parse_value("provider", provider)
    except ValueError as exc:
        raise ConfigError(f"provider {exc}") from None
    return provider


def _choose_default(name: str, make_default: bool | None, interactive: bool) -> bool | None:
    if make_default is not None or not interactive:
        return make_default
    current = next((p.name for p in settings.list_profiles() if p.default), None)
    if current is None or current == name:
        return None  # the first profile becomes the default without a question
    return typer.confirm(f"Make '{name}' the default profile (now '{current}')?", default=False)


@app.command()
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
    name = _profile_option(ctx, profile)
    if sandbox or sandbox_mobset:
        chosen_sandbox = _sandbox_provider(provider, sandbox_mobset)
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
    chosen = _choose_provider(provider, interactive)
    given = {
        "api_key": api_key,
        "app_id": app_id,
        "corp_id": corp_id,
        "login_name": login_name,
        "sender_id": sender_id,
        "base_url": base_url,
    }
    _check_options(chosen, given, {"api_secret": api_secret_stdin, "password": password_stdin})
    gather = _gather_interactive if interactive else _gather_scripted
    values = gather(chosen, given, api_secret_stdin or password_stdin)
    make_default = _choose_default(name, default, interactive)
    path = configfile.write_profile(name, values, make_default=make_default, force=force)
    _secrets_to_keyring(name)
    _report_written(name, chosen, path)


# --------------------------------------------------------------------------- set / unset / get


@app.command(
    "set",
    help="Save KEY = VALUE in a profile. VALUE `-` reads it from stdin (a hidden prompt on a "
    "terminal); secrets are accepted only that way. A new profile is created by setting its "
    "provider first.\n\n" + profilekeys.keys_help(),
)
@handle_errors
def set_(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(
            metavar="KEY", show_default=False, autocompletion=completion.config_keys
        )],
    value: Annotated[str, typer.Argument(metavar="VALUE", show_default=False)],
    profile: c.ProfileOpt = None,
) -> None:
    info = profilekeys.key_info(key)
    name = _target_profile(ctx, profile)
    if value == "-":
        value = _value_from_stdin(key)
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


@app.command()
@handle_errors
def unset(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(
            metavar="KEY", show_default=False, autocompletion=completion.config_keys
        )],
    profile: c.ProfileOpt = None,
) -> None:
    """Remove KEY from a profile (it falls back to its default)."""
    name = _target_profile(ctx, profile)
    in_keyring = profilekeys.key_info(key).secret and _keeps_in_keyring(name)
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


def _keeps_in_keyring(name: str) -> bool:
    data = configfile.read_config_for_update(configfile.config_path())
    profiles = data.get("profiles")
    table = profiles.get(name) if isinstance(profiles, dict) else None
    return isinstance(table, dict) and table.get("secrets") == "keyring"


@app.command("move-secrets")
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
    profile: c.ProfileOpt = None,
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
    name = _target_profile(ctx, profile)
    moved = secrets.move(name, to)
    where = (
        f"the OS keyring ({secrets.backend_name()})"
        if to == secrets.KEYRING
        else f"{configfile.config_path()} (mode 0600)"
    )
    what = ", ".join(moved) if moved else "no secret to move"
    console.info(f"profile '{name}': {what}; its secrets now live in {where}")


@app.command()
@handle_errors
def get(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(
            metavar="KEY", show_default=False, autocompletion=completion.config_keys
        )],
    profile: c.ProfileOpt = None,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Print a secret or the API key in full.")
    ] = False,
) -> None:
    """Print KEY's resolved value (option > env > profile > default) on stdout."""
    info = profilekeys.key_info(key)
    prof = settings.load_profile(_profile_option(ctx, profile))
    _show_warnings(prof.warnings)
    value = prof.get(key)
    if value is None:
        raise profilekeys.missing_key_error(prof.name, key, prof.path)
    if (info.secret or info.partly_secret) and not reveal:
        raise ConfigError(
            f"{key} is secret: add --reveal to print it",
            hint=f"smscli config show -p {prof.name} shows it masked",
        )
    typer.echo(_plain(value))


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --------------------------------------------------------------------------- show / list


@app.command()
@handle_errors
def show(
    ctx: typer.Context,
    profile: c.ProfileOpt = None,
    output: c.OutputOpt = None,
    json_flag: c.JsonOpt = False,
) -> None:
    """Every key of a profile, resolved, with where its value came from (secrets masked)."""
    opts = c.common(ctx, profile, output, json_flag, False, False)
    prof = settings.load_profile(opts.profile)
    _show_warnings(prof.warnings)
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


@app.command("list")
@handle_errors
def list_(
    ctx: typer.Context,
    output: c.OutputOpt = None,
    json_flag: c.JsonOpt = False,
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


@app.command()
@handle_errors
def use(name: Annotated[str, typer.Argument(
            metavar="NAME", show_default=False, autocompletion=completion.profiles
        )]) -> None:
    """Make NAME the default profile."""
    configfile.set_default(name)
    console.info(f"default profile: {name} ({configfile.config_path()})")


@app.command()
@handle_errors
def remove(
    name: Annotated[str, typer.Argument(
            metavar="NAME", show_default=False, autocompletion=completion.profiles
        )],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a profile (asks first on a terminal). If it was the default, no default remains."""
    path = configfile.config_path()
    known = {p.name: p for p in settings.list_profiles(path)}
    asks = name in known and not known[name].built_in and not yes and console.interactive()
    if asks and not typer.confirm(f"Remove profile '{name}' from {path}?", default=False):
        console.info("nothing removed")
        raise typer.Exit(1)
    in_keyring = _keeps_in_keyring(name)
    was_default = configfile.remove_profile(name, path=path)
    if in_keyring:
        from smscli import secrets

        secrets.forget(name, known[name].provider if name in known else None)
    console.info(f"removed profile '{name}' from {path}")
    if was_default:
        console.info("it was the default: choose another with smscli config use NAME")


@app.command()
@handle_errors
def path() -> None:
    """Print the config file's path (env SMSCLI_CONFIG overrides it)."""
    typer.echo(str(configfile.config_path()))
