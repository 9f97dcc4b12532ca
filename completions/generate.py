"""Regenerate the shell completion scripts from the app: `python completions/generate.py`.

tests/test_completions.py fails when the committed scripts are stale."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = {"bash": "smscli.bash", "zsh": "_smscli", "fish": "smscli.fish"}


def script(shell: str) -> str:
    env = dict(os.environ, _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1")
    done = subprocess.run(
        [sys.executable, "-m", "smscli", "--show-completion", shell],
        env=env, capture_output=True, text=True, check=True,
    )
    # `python -m smscli` would name itself __main__.py; the scripts are for the `smscli` command.
    return done.stdout


def main() -> None:
    for shell, name in FILES.items():
        (HERE / name).write_text(script(shell), encoding="utf-8")
        print(f"wrote completions/{name}")


if __name__ == "__main__":
    main()
