"""The long fuzzing job: tests/test_fuzz.py with >= 10k examples per property (not run in CI).

Usage: /work/venv/bin/python bench/fuzz_long.py [--examples N] [--scans N] [-- extra pytest args]

The properties are the CI ones (mutated real configs through every parser, every adapter and
the whole Scanner; nothing may escape); only the hypothesis profile changes. A failure prints
the shrunk input, and hypothesis keeps it in .hypothesis/ so the next CI run replays it.
Prints the examples run and the wall time; the exit code is pytest's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=10_000, help="examples per parser/adapter property")
    parser.add_argument("--scans", type=int, default=2_000, help="examples for the whole-Scanner property (slower)")
    args, extra = parser.parse_known_args()
    env = dict(os.environ, HYPOTHESIS_PROFILE="long", SIGIL_FUZZ_EXAMPLES=str(args.examples), SIGIL_FUZZ_SCANS=str(args.scans))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "test_fuzz.py"),
           "--hypothesis-show-statistics", *[a for a in extra if a != "--"]]
    start = time.perf_counter()
    code = subprocess.call(cmd, cwd=ROOT, env=env)
    print(f"fuzz_long: {args.examples} examples per property, {args.scans} whole scans, "
          f"{time.perf_counter() - start:.0f} s, exit {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
