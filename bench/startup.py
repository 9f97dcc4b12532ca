"""Start-up figures: `smscli --version`, `smscli send --help` and a bash completion round-trip,
median wall time over several runs. Run: python bench/startup.py [runs]"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SMSCLI = str(Path(sys.executable).with_name("smscli"))

CASES = [
    ("smscli --version", [SMSCLI, "--version"], {}, 0.100),
    ("smscli send --help", [SMSCLI, "send", "--help"], {}, 0.150),
    (
        "bash completion (smscli se<TAB>)",
        [SMSCLI],
        {"_SMSCLI_COMPLETE": "complete_bash", "COMP_WORDS": "smscli se", "COMP_CWORD": "1"},
        0.150,
    ),
    ("python -c pass (interpreter floor)", [sys.executable, "-c", "pass"], {}, None),
]


def median_wall(argv: list[str], extra_env: dict[str, str], runs: int) -> float:
    env = {**os.environ, **extra_env}
    # Measure what an installed smscli does: with its bytecode cached, as pip leaves it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    import compileall

    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "smscli"), quiet=1)
    median_wall([SMSCLI, "--version"], {}, 2)  # warm the page cache
    print(f"start-up, median of {runs} runs")
    for name, argv, env, target in CASES:
        wall = median_wall(argv, env, runs)
        verdict = ""
        if target is not None:
            verdict = (
                f"  target <= {target * 1000:.0f} ms  {'met' if wall <= target else 'NOT met'}"
            )
        print(f"  {name:40s} {wall * 1000:7.1f} ms{verdict}")


if __name__ == "__main__":
    main()
