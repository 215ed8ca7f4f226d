"""`sigil rules test [DIR]` as a rule-pack author runs it."""

from __future__ import annotations

from pathlib import Path

from conftest import write

RULE = """id: {id}
title: Plan mode is used
reason: auto_approval_enabled
fact: document
roles: [settings]
select: $.permissions.defaultMode
where:
  value: {{equals: plan}}
message: "defaultMode {{value}}"
help: Do not.
examples:
  - name: plan
    expect: {first}
    files: {{.claude/settings.json: '{{"permissions": {{"defaultMode": "plan"}}}}'}}
  - name: default
    expect: {second}
    files: {{.claude/settings.json: '{{"permissions": {{"defaultMode": "default"}}}}'}}
"""


def test_pack_pass_fail_and_coverage(run_sigil, tmp_path: Path) -> None:
    pack = write(tmp_path / "pack", {"rules/pack-good.yaml": RULE.format(id="pack-good", first="match", second="no-match")})
    proc = run_sigil("rules", "test", str(pack))
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "1 rule(s), 2 example(s): 2 passed, 0 failed"  # only the pack's rules
    # an example that does not hold is named, with what happened
    write(pack, {"rules/pack-bad.yaml": RULE.format(id="pack-bad", first="no-match", second="match")})
    proc = run_sigil("rules", "test", str(pack))
    assert proc.returncode == 1
    assert "FAIL pack-bad: plan (no-match) fired: defaultMode plan" in proc.stdout
    assert "FAIL pack-bad: default (match) did not fire" in proc.stdout
    assert "2 rule(s), 4 example(s): 2 passed, 2 failed" in proc.stdout
    # a rule that only shows one side is a warning, a failure with --strict
    (pack / "rules/pack-bad.yaml").unlink()
    write(pack, {"rules/pack-half.yaml": RULE.format(id="pack-half", first="match", second="match").replace("defaultMode\": \"default", "defaultMode\": \"plan")})
    proc = run_sigil("rules", "test", str(pack))
    assert proc.returncode == 0 and "warn pack-half: no `expect: no-match` example" in proc.stdout
    proc = run_sigil("rules", "test", str(pack), "--strict")
    assert proc.returncode == 1 and "FAIL pack-half: no `expect: no-match` example" in proc.stdout


def test_empty_or_invalid_pack_is_exit_2(run_sigil, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_sigil("rules", "test", str(empty))
    assert proc.returncode == 2 and "no rules found" in proc.stderr
    bad = write(tmp_path / "bad", {"rules/x.yaml": "id: x\ntitle: t\n"})
    proc = run_sigil("rules", "test", str(bad))
    assert proc.returncode == 2 and "required property" in proc.stderr
