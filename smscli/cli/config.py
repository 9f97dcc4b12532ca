"""`smscli config`: create, inspect and edit profiles. The key registry is smscli.profilekeys,
the file smscli.configfile, precedence smscli.settings; the commands (config_init, config_edit,
config_show) only ask, read stdin and render, and this module puts them on one app.

Secrets never arrive as option or argument values (they would land in shell history and in
`ps`): they are typed at a hidden prompt or read from stdin."""

from __future__ import annotations

import typer

from smscli import profilekeys
from smscli.cli.config_edit import SET_HELP, move_secrets, set_, unset
from smscli.cli.config_init import init
from smscli.cli.config_show import get, list_, path, remove, show, use

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

app.command()(init)
app.command("set", help=SET_HELP + profilekeys.keys_help())(set_)
app.command()(unset)
app.command("move-secrets")(move_secrets)
app.command()(get)
app.command()(show)
app.command("list")(list_)
app.command()(use)
app.command()(remove)
app.command()(path)
