"""The whole reviewed corpus (../shared/corpus) through the real scanner: no file may crash the
scan or go unscanned, and per label kind recall and precision against labels.yaml stay at or
above what we reach. Every disagreement we keep is listed here and explained in
the README, section "Agent coverage"; a new one fails the test until it is fixed or explained.

The table prints with `pytest -s tests/test_corpus.py` (or `python tests/corpus_eval.py`).
"""

from __future__ import annotations

import pytest
from corpus_eval import CORPUS, label_map, labels, manifest, run, score, table

pytestmark = pytest.mark.skipif(not (CORPUS / "labels.yaml").is_file(), reason="corpus not present")

# disagreements with the reviewers' labels we keep, each explained in the README, section "Agent coverage"
KEPT_MISSES = {
    ("sensitive_read_allowed", "claude/033-crmvere-settings-local.json"),
}
KEPT_EXTRAS = {
    ("mcp_local_path_outside_repo", "gemini/014-paos-settings.json"),
    ("mcp_local_path_outside_repo", "other/003-ms-sql-mcp-roo-mcp.json"),
}
FLOOR = 0.95
# per-kind floors below FLOOR exist only because of the kept disagreements above (small support)
FLOORS = {("sensitive_read_allowed", "recall"): 0.9, ("mcp_local_path_outside_repo", "precision"): 0.5}


@pytest.fixture(scope="module")
def outcome():  # type: ignore[no-untyped-def]
    return run()


def test_every_file_scanned_without_exception(outcome) -> None:  # type: ignore[no-untyped-def]
    assert outcome.errors == []
    files = {row["local_file"] for row in manifest()}
    assert len(files) >= 140
    assert files - outcome.scanned == set()
    assert set(labels()) <= files


def test_every_label_kind_is_mapped() -> None:
    used = {kind for kinds in labels().values() for kind in kinds}
    assert used <= set(label_map())


def test_recall_and_precision_per_kind(outcome) -> None:  # type: ignore[no-untyped-def]
    scores = score(outcome)
    print("\n" + table(scores))
    misses = {(s.kind, f) for s in scores.values() for f in s.missed}
    extras = {(s.kind, f) for s in scores.values() for f in s.extra}
    assert misses == KEPT_MISSES
    assert extras == KEPT_EXTRAS
    for s in scores.values():
        if s.recall is not None:
            assert s.recall >= FLOORS.get((s.kind, "recall"), FLOOR), s.kind
        if s.precision is not None:
            assert s.precision >= FLOORS.get((s.kind, "precision"), FLOOR), s.kind
    tp = sum(s.tp for s in scores.values())
    assert tp / (tp + sum(s.fn for s in scores.values())) >= FLOOR
    assert tp / (tp + sum(s.fp for s in scores.values())) >= FLOOR
    # the label kinds the corpus actually uses are all measured (support > 0)
    assert sum(1 for s in scores.values() if s.tp + s.fn) >= 12
