"""Completion scripts are generated from the app, never hand-written: stale ones fail here, and
the completion protocol itself is driven in a subprocess."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "completions"))
import generate  # noqa: E402


@pytest.mark.parametrize(("shell", "name"), sorted(generate.FILES.items()))
def test_committed_scripts_are_fresh(shell: str, name: str) -> None:
    committed = (ROOT / "completions" / name).read_text(encoding="utf-8")
    assert committed == generate.script(shell), (
        f"completions/{name} is stale: run `python completions/generate.py`"
    )


def complete(words: str, cword: int) -> list[str]:
    env = dict(os.environ, _SMSCLI_COMPLETE="complete_bash", COMP_WORDS=words,
               COMP_CWORD=str(cword))
    done = subprocess.run([sys.executable, "-m", "smscli"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_bash_completion_protocol_completes_commands() -> None:
    assert complete("smscli se", 1) == ["send"]
    assert "config" in complete("smscli c", 1)


def test_bash_completion_completes_options_and_subcommands() -> None:
    assert "--message" in complete("smscli send --mes", 2)
    assert "show" in complete("smscli config sh", 2)


# -- values: profiles, formats, config keys, job ids; zsh and fish through their own protocol


def run_completion(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "smscli"], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def zsh(args: str) -> list[tuple[str, str]]:
    """What zsh's _arguments receives: the protocol's output read with shell quoting, as
    zsh's eval reads it (POSIX quoting, the same for these words in zsh and sh)."""
    out = run_completion({"_SMSCLI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": args})
    words = shlex.split(out)
    assert words[0] == "_arguments", out
    spec = words[1]
    assert spec.startswith("*: :((") and spec.endswith("))"), spec
    pairs = []
    for item in shlex.split(spec[len("*: :(("):-2]):
        value, _, text = item.partition(":")
        pairs.append((value, text.replace("\\:", ":")))
    return pairs


def fish(args: str) -> list[str]:
    return run_completion({"_SMSCLI_COMPLETE": "complete_fish",
                           "_TYPER_COMPLETE_FISH_ACTION": "get-args",
                           "_TYPER_COMPLETE_ARGS": args}).splitlines()


@pytest.fixture
def two_profiles(isolated: Path) -> None:
    config = Path(os.environ["SMSCLI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('default_profile = "prod"\n[profiles.prod]\nprovider = "laaffic"\n'
                      '[profiles.shop]\nprovider = "sandbox"\n')
    config.chmod(0o600)


def test_profile_names_complete_in_every_shell(two_profiles: None) -> None:
    assert complete("smscli send -p ", 3) == ["prod", "shop", "sandbox"]
    assert complete("smscli config use s", 3) == ["shop", "sandbox"]
    assert complete("smscli history -p pr", 3) == ["prod"]
    assert ("prod", "laaffic, default") in zsh("smscli balance -p ")
    assert "shop\tsandbox" in fish("smscli report --profile ")


def test_formats_and_config_keys_complete_instead_of_files() -> None:
    assert complete("smscli history -o js", 3) == ["json", "jsonl"]
    assert complete("smscli -o t", 2) == ["table", "tsv"]
    assert complete("smscli config set api_", 3) == ["api_key", "api_secret"]
    assert complete("smscli config move-secrets k", 3) == ["keyring"]
    assert [v for v, _ in zsh("smscli config get conc")] == ["concurrency"]
    assert fish("smscli send -o c") == ["csv\tcomma-separated, with a header"]


def test_job_ids_complete_for_resume_job_and_history_show(isolated: Path) -> None:
    assert complete("smscli history show ", 3) == []  # no history yet: nothing, no error
    assert not (isolated / "data").exists() or not any((isolated / "data").iterdir())
    sent = subprocess.run(
        [sys.executable, "-m", "smscli", "send", "-p", "sandbox", "447700900123", "-m", "hi"],
        capture_output=True, text=True, timeout=60, check=False)
    assert sent.returncode == 0, sent.stderr
    assert complete("smscli history show ", 3) == ["1"]
    assert complete("smscli report --job ", 3) == ["1"]
    assert complete("smscli history --job ", 3) == ["1"]
    # Job 1 is finished: a resume could only say "nothing left to send".
    assert complete("smscli send --resume ", 3) == []


def test_resume_completes_only_jobs_a_resume_can_act_on(isolated: Path) -> None:
    """QA of issue 15: `--resume <TAB>` offered finished jobs too."""
    def send(content: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "smscli", "send", "-p", "sandbox", "447700900123", "-m",
             content], capture_output=True, text=True, timeout=60, check=False)

    send("hi")  # job 1: accepted, nothing left
    send("SANDBOX:NOBALANCE")  # job 2: refused (-10): --resend-refused sends it again
    assert complete("smscli send --resume ", 3) == ["2"]
    ((value, text),) = zsh("smscli batch --resume ")
    assert value == "2" and text.startswith("send, sandbox, 1 number, ")
    assert complete("smscli history show ", 3) == ["2", "1"]
    assert complete("smscli report --job ", 3) == ["2", "1"]


def test_zsh_keeps_apostrophes_in_descriptions() -> None:
    described = dict(zsh("smscli balance --"))
    assert "the profile's low_balance" in described["--below"]
    assert all("profiles low" not in text for text in described.values())
