"""What `config init` and `config set` ask, and how: prompts on a terminal (a bad answer is
asked again), one line from stdin in scripts, never a secret as an option value. No commands
here: smscli.cli.config_init and smscli.cli.config_edit use these."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import typer

from smscli import console, profilekeys, settings
from smscli.errors import ConfigError


def profile_option(ctx: typer.Context, profile: str | None) -> str | None:
    """The command's --profile, else the one given before the subcommand (`smscli -p x config`)."""
    if profile:
        return profile
    root = ctx.find_root().obj
    return root.get("profile") if isinstance(root, dict) else None


def target_profile(ctx: typer.Context, profile: str | None) -> str:
    """The profile a write goes to: the same choice `load_profile` makes, without requiring
    the profile to be complete (fixing an incomplete profile is what `set` is for)."""
    name, _ = settings.choose_profile_name(profile_option(ctx, profile))
    return name


def show_warnings(warnings: Iterable[str]) -> None:
    for text in warnings:
        console.warn(text)


def _read_stdin_line(key: str) -> str:
    stdin = console.current().stdin
    line = stdin.readline() if stdin is not None else ""
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


def value_from_stdin(key: str) -> str:
    """`-`: a prompt when a person types it (hidden for secrets), otherwise one line from the
    pipe."""
    if not console.stdin_is_tty():
        return _read_stdin_line(key)
    info = profilekeys.KEYS[key]
    if info.secret or info.partly_secret:
        return _ask_secret(key)
    answer: str = typer.prompt(key)
    return answer.strip()


def sandbox_provider(provider: str | None, sandbox_mobset: bool) -> str:
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


def gather_interactive(
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


def gather_scripted(
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


def check_options(
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


def choose_provider(provider: str | None, interactive: bool) -> str:
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


def choose_default(name: str, make_default: bool | None, interactive: bool) -> bool | None:
    if make_default is not None or not interactive:
        return make_default
    current = next((p.name for p in settings.list_profiles() if p.default), None)
    if current is None or current == name:
        return None  # the first profile becomes the default without a question
    return typer.confirm(f"Make '{name}' the default profile (now '{current}')?", default=False)
