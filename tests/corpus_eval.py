"""Score the scanner against the reviewed corpus (../shared/corpus): every file is placed where
it lives in its repository (or, for user-global examples, where the tool reads it in a home
directory), the real Scanner runs over it, and each reason is attributed back to the corpus file
it was found in. Label kinds map onto reason kinds through tests/corpus_label_map.yaml.

Run directly for the table: `python tests/corpus_eval.py`.
"""

from __future__ import annotations

import csv
import os
import shutil
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[1] / "shared" / "corpus"
LABEL_MAP = HERE / "corpus_label_map.yaml"

# where a user-global example lives under a home directory (linux layout)
USER_PATHS = {
    "codex": ".codex/config.toml",
    "gemini": ".gemini/settings.json",
    "claude-desktop": ".config/Claude/claude_desktop_config.json",
    "other": ".config/opencode/opencode.json",
}


@dataclass
class Outcome:
    predicted: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # file -> reason kinds
    reasons: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))  # file -> Reason objects
    scanned: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)


def manifest() -> list[dict[str, str]]:
    with open(CORPUS / "MANIFEST.tsv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def labels() -> dict[str, set[str]]:
    data = yaml.safe_load((CORPUS / "labels.yaml").read_text(encoding="utf-8"))
    return {entry["file"]: {f["kind"] for f in entry["findings"]} - {"clean"} for entry in data["files"]}


def label_map() -> dict[str, list[dict[str, Any]]]:
    return yaml.safe_load(LABEL_MAP.read_text(encoding="utf-8"))


def _place(row: dict[str, str], repo: Path, home: Path) -> Path:
    user = row["scope"].startswith("user-global")
    target = (home / USER_PATHS[row["tool"]]) if user else (repo / row["path"])
    target.parent.mkdir(parents=True, exist_ok=True)
    source = CORPUS / row["local_file"]
    if "stored as a git symlink" in row.get("notes", ""):
        # a git checkout turns it back into a (here dangling) symlink
        os.symlink(source.read_text(encoding="utf-8").strip(), target)
    else:
        shutil.copyfile(source, target)
    return target


def run() -> Outcome:
    from sigil_scan import shell
    from sigil_scan.engine.library import load_library
    from sigil_scan.scan import Scanner, ScanOptions

    library = load_library()
    outcome = Outcome()
    by_repo: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in manifest():
        by_repo[row["repo"]].append(row)
    for repo_name, rows in sorted(by_repo.items()):
        with tempfile.TemporaryDirectory(prefix="sigil-corpus-") as tmp:
            base = Path(os.path.realpath(tmp))
            # the checkout is named after the repository, as `git clone` names it
            repo, home = base / repo_name.rsplit("/", 1)[-1], base / "home"
            repo.mkdir()
            home.mkdir()
            placed: dict[str, str] = {}
            for r in rows:
                target = _place(r, repo, home)
                placed[str(target)] = r["local_file"]
                placed[os.path.realpath(target)] = r["local_file"]
            scans = []
            if any(not r["scope"].startswith("user") for r in rows):
                scans.append(ScanOptions(paths=[repo], home=home, platform="linux", env={"HOME": str(home)}))
            if any(r["scope"].startswith("user") for r in rows):
                scans.append(ScanOptions(paths=[home], home_mode=True, home=home, platform="linux", env={"HOME": str(home)}))
            for options in scans:
                try:
                    result = Scanner(options, library).scan()
                except Exception as exc:  # the point of the test: no file may crash the scan
                    outcome.errors.append(f"{repo_name}: {type(exc).__name__}: {exc}")
                    continue
                for surface in result.surfaces:
                    for f in surface.files:
                        local = placed.get(str(f.path)) or placed.get(os.path.realpath(f.path))
                        if local:
                            outcome.scanned.add(local)
                    for reason in surface.reasons:
                        local = placed.get(str(reason.file))
                        script = reason.fields.get("script_path")
                        if script:
                            local = placed.get(str(repo / str(script))) or local
                        if local:
                            outcome.predicted[local].add(reason.kind)
                            outcome.reasons[local].append(reason)
            # hook scripts are read by the engine only when a config runs them; analyse every one
            # directly as well, so no corpus file goes unscanned
            for r in rows:
                if r["tool"] == "hooks":
                    try:
                        shell.analyse_script(repo / r["path"], library.patterns, base_dir=repo, home=home)
                        outcome.scanned.add(r["local_file"])
                    except Exception as exc:
                        outcome.errors.append(f"{r['local_file']}: {type(exc).__name__}: {exc}")
    return outcome


def _reported(reasons: list[Any], specs: list[dict[str, Any]]) -> bool:
    for spec in specs:
        for reason in reasons:
            if reason.kind != spec["reason"]:
                continue
            if any(reason.fields.get(k) != v for k, v in (spec.get("fields") or {}).items()):
                continue
            if any(reason.fields.get(k) == v for k, v in (spec.get("not") or {}).items()):
                continue
            return True
    return False


@dataclass
class KindScore:
    kind: str
    tp: int = 0
    fn: int = 0
    fp: int = 0
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None


def score(outcome: Outcome) -> dict[str, KindScore]:
    truth = labels()
    mapping = label_map()
    scores: dict[str, KindScore] = {}
    for kind, specs in mapping.items():
        s = KindScore(kind)
        for file, kinds in truth.items():
            expected = kind in kinds
            got = bool(specs) and _reported(outcome.reasons.get(file, []), specs)
            if expected and got:
                s.tp += 1
            elif expected:
                s.fn += 1
                s.missed.append(file)
            elif got:
                s.fp += 1
                s.extra.append(file)
        scores[kind] = s
    return scores


def table(scores: dict[str, KindScore]) -> str:
    def fmt(x: float | None) -> str:
        return "  -  " if x is None else f"{x:.2f}"

    lines = [f"{'label kind':<30} {'TP':>3} {'FN':>3} {'FP':>3} {'recall':>7} {'precision':>9}"]
    for s in sorted(scores.values(), key=lambda s: (-(s.tp + s.fn), s.kind)):
        lines.append(f"{s.kind:<30} {s.tp:>3} {s.fn:>3} {s.fp:>3} {fmt(s.recall):>7} {fmt(s.precision):>9}")
        for f in s.missed:
            lines.append(f"    missed: {f}")
        for f in s.extra:
            lines.append(f"    extra:  {f}")
    tp = sum(s.tp for s in scores.values())
    fn = sum(s.fn for s in scores.values())
    fp = sum(s.fp for s in scores.values())
    lines.append(f"{'ALL (micro)':<30} {tp:>3} {fn:>3} {fp:>3} {tp / (tp + fn):>7.2f} {tp / (tp + fp):>9.2f}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - a developer's view of the same numbers
    out = run()
    print(table(score(out)))
    if "-v" in sys.argv:
        for file in sorted(out.reasons):
            print(file, sorted({(r.kind, r.rule_id) for r in out.reasons[file]}))
    print("errors:", out.errors)
