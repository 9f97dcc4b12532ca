"""The user's own simulators: the state each keeps under smscli's data dir (shared by the
in-process `sandbox` / `sandbox-mobset` profiles, `smscli sandbox serve` and `smscli sandbox
inbound`, in any process) and the balance each opens with."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from smscli.sandbox.mobset import MOBSET_SANDBOX_CORP_ID, MOBSET_SANDBOX_LOGIN_NAME, MobsetSandbox
from smscli.sandbox.v3 import SANDBOX_API_KEY, SANDBOX_APP_ID, Sandbox

V3_STATE: Final = "sandbox"
MOBSET_STATE: Final = "sandbox-mobset"
STATE_DIRS: Final = (V3_STATE, MOBSET_STATE)
# Enough simulated credit for a million messages, so trying a bulk send does not run dry.
V3_BALANCE: Final = "10000.0000"
# The same for the mobset sandbox, whose balance is a number of messages.
MOBSET_BALANCE: Final = 1_000_000

# What `smscli sandbox serve` says once it listens ({url} filled in): the first line always,
# the rest with detail. The password is the sandbox's own too, but a password is never shown.
V3_BANNER: Final = (
    "sandbox listening on {url}/v3  (Ctrl-C to stop)",
    "  it accepts the vendors' published sample credentials (api_key "
    f"{SANDBOX_API_KEY}, app_id {SANDBOX_APP_ID}), as the built-in sandbox profile uses",
)
MOBSET_BANNER: Final = (
    "mobset sandbox listening on {url}/SDK3/SMS  (Ctrl-C to stop)",
    f"  it accepts the sandbox's test credentials (corp_id {MOBSET_SANDBOX_CORP_ID}, "
    f"login_name {MOBSET_SANDBOX_LOGIN_NAME}), as a sandbox-mobset profile uses",
    "  try: smscli config init --sandbox-mobset && smscli config set base_url "
    "{url}/SDK3/SMS --profile sandbox-mobset",
)


def open_v3(data_dir: Path, **options: Any) -> Sandbox:
    """The v3 simulator on the data dir's state; `options` as Sandbox takes them."""
    return Sandbox(data_dir / V3_STATE, balance=V3_BALANCE, **options)


def open_mobset(data_dir: Path, **options: Any) -> MobsetSandbox:
    """The mobset simulator on the data dir's state; `options` as MobsetSandbox takes them."""
    return MobsetSandbox(data_dir / MOBSET_STATE, balance=MOBSET_BALANCE, **options)
