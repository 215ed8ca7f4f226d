"""Where the per-surface time of `Scanner.scan()` goes, on bench_scan.py's 200-repository tree.

Usage: /work/venv/bin/python bench/profile_scan.py [--runs N] [--profile] [--top N] [--phases]
       /tmp/perfvenv/bin/python bench/profile_scan.py --installed   (time that venv's installed copy)

  default    best of --runs in-process scans (after one warm-up) and the time per surface
  --phases   the same scan split by plain perf_counter timers: discover, read+parse+adapt, evaluate,
             and the rest of assess (cProfile distorts tiny calls; these timers do not)
  --profile  one cProfile'd scan, the top --top functions by own time

Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if "--installed" not in sys.argv:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--phases", action="store_true")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--installed", action="store_true", help="import sigil_scan from the running venv, not this tree")
    args = parser.parse_args()

    from bench_scan import many_repos

    if args.installed:  # bench_scan puts this tree first on sys.path
        sys.path[:] = [p for p in sys.path if Path(p).resolve() != ROOT]
        sys.modules.pop("sigil_scan", None)

    from sigil_scan.scan import Scanner, ScanOptions

    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as tmp:
        base = Path(tmp)
        root = many_repos(base)
        home = base / "home"
        home.mkdir()
        scanner = Scanner(ScanOptions(paths=[root], home=home, home_mode=False, env={}))
        surfaces = len(scanner.scan().surfaces)  # warm-up
        if args.phases:
            _phases(scanner, args.runs)
        best = min(_timed(scanner.scan) for _ in range(args.runs))
        import sigil_scan

        print(f"{sigil_scan.__file__}: Scanner.scan(): best of {args.runs} {best * 1000:.1f} ms, {surfaces} surfaces, {best / surfaces * 1e6:.0f} µs per surface")
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            scanner.scan()
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(args.top)


def _timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def _phases(scanner: object, runs: int) -> None:
    """Wrap the engine's entry points with accumulating timers (patched on the instances/modules)."""
    from sigil_scan import scan as scan_mod

    totals: dict[str, float] = {}

    def wrap(name: str, fn: object) -> object:
        def timed(*a: object, **k: object) -> object:
            start = time.perf_counter()
            try:
                return fn(*a, **k)  # type: ignore[operator]
            finally:
                totals[name] = totals.get(name, 0.0) + time.perf_counter() - start

        return timed

    originals = {name: getattr(scan_mod, name) for name in ("discover", "read_file", "parse", "adapt")}
    for name, fn in originals.items():
        setattr(scan_mod, name, wrap(name, fn))
    evaluator = scanner.evaluator  # type: ignore[attr-defined]
    evaluator.evaluate = wrap("evaluate", evaluator.evaluate)
    best: dict[str, float] = {}
    best_total = float("inf")
    try:
        for _ in range(runs):
            totals.clear()
            total = _timed(scanner.scan)  # type: ignore[attr-defined]
            if total < best_total:
                best_total, best = total, dict(totals)
    finally:
        for name, fn in originals.items():
            setattr(scan_mod, name, fn)
        del evaluator.evaluate
    rest = best_total - sum(best.values())
    print(f"phases of the best of {runs} scans ({best_total * 1000:.1f} ms):")
    for name, seconds in sorted(best.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<12} {seconds * 1000:7.1f} ms")
    print(f"  {'rest':<12} {rest * 1000:7.1f} ms (grouping, fingerprints, rubric, ScanResult)")


if __name__ == "__main__":
    main()
