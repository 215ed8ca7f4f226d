"""action.yml: GitHub's schema (as check-jsonschema ships it), its hygiene, and its shell steps
run locally the way the runner runs them (bash -eo pipefail, inputs through env, the
GITHUB_OUTPUT / GITHUB_PATH / GITHUB_STEP_SUMMARY files). The install step really pip-installs
a committed copy of this tree into a fresh virtualenv (PyPI for the dependencies)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ci_helpers import REPO, doc_snippet, git_env, source_copy
from conftest import FIXTURES

from sigil_scan.yamlload import load_yaml

ACTION = REPO / "action.yml"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
_INPUT = re.compile(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}")


def _action() -> dict[str, Any]:
    return dict(load_yaml(ACTION.read_text()))


def _check(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CHECK_JSONSCHEMA), "--builtin-schema", schema, str(path)], capture_output=True, text=True, timeout=120)


def test_action_and_docs_workflow_validate(tmp_path: Path) -> None:
    proc = _check("vendor.github-actions", ACTION)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    workflow = tmp_path / "sigil-scan.yml"
    workflow.write_text(doc_snippet("workflow"))
    proc = _check("vendor.github-workflows", workflow)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the schema check can fail: a broken action is rejected
    broken = tmp_path / "action.yml"
    broken.write_text(ACTION.read_text().replace("using: composite", "using: teleport"))
    assert _check("vendor.github-actions", broken).returncode != 0


def test_inputs_pass_through_env_and_actions_are_pinned() -> None:
    action = _action()
    steps = action["runs"]["steps"]
    text = ACTION.read_text()
    for step in steps:
        if "run" in step:
            assert "${{" not in step["run"], f"expression inside run: of {step.get('name')}"
            assert step["shell"] == "bash"
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
            assert re.search(re.escape(step["uses"]) + r" # v\d+\.\d+\.\d+", text)
    for name in action["inputs"]:
        assert f"inputs.{name}" in text, f"input {name} is never used"
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert "always()" in upload["if"] and "inputs.upload == 'true'" in upload["if"]
    assert upload["with"]["sarif_file"] == "${{ steps.scan.outputs.sarif-file }}"
    outputs = {k: v["value"] for k, v in action["outputs"].items()}
    assert outputs == {k: f"${{{{ steps.scan.outputs.{k} }}}}" for k in ("findings-count", "highest-bucket", "sarif-file")}


class Runner:
    """Runs the `run:` steps of a composite action like the GitHub runner does."""

    def __init__(self, tmp: Path, action_path: Path, workspace: Path) -> None:
        self.temp = tmp / "runner-temp"
        self.temp.mkdir()
        self.files = {name: tmp / f"{name.lower()}.txt" for name in ("GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")}
        for f in self.files.values():
            f.write_text("")
        self.action_path = action_path
        self.workspace = workspace
        # actions/setup-python puts a Python on PATH; here it is the test's own
        self.path = [str(Path(sys.executable).parent)]
        self.env = git_env(tmp)
        self.env.update(HOME=str(tmp / "home"), RUNNER_TEMP=str(self.temp), GITHUB_ACTION_PATH=str(action_path), GITHUB_WORKSPACE=str(workspace), CI="true", GITHUB_ACTIONS="true")
        self.env.update({k: str(v) for k, v in self.files.items()})

    def run(self, step: dict[str, Any], inputs: dict[str, str]) -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        for key, value in (step.get("env") or {}).items():
            replaced = _INPUT.sub(lambda m: inputs[m.group(1)], str(value))
            assert "${{" not in replaced, f"unsupported expression in env {key}: {value}"
            env[key] = replaced
        env["PATH"] = os.pathsep.join([*reversed(self.files["GITHUB_PATH"].read_text().split()), *self.path, os.environ["PATH"]])
        script = self.temp / "step.sh"
        script.write_text(step["run"])
        return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=self.workspace, env=env, capture_output=True, text=True, timeout=900)

    def outputs(self) -> dict[str, str]:
        lines = self.files["GITHUB_OUTPUT"].read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    def reset_outputs(self) -> None:
        self.files["GITHUB_OUTPUT"].write_text("")


def _inputs(action: dict[str, Any], **overrides: str) -> dict[str, str]:
    values = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    values.update(overrides)
    return values


def test_action_steps_run_locally(tmp_path: Path) -> None:
    action = _action()
    steps = {s.get("id") or s.get("name") or s.get("uses"): s for s in action["runs"]["steps"]}
    src = tmp_path / "action-src"
    source_copy(src, git_env(tmp_path))
    workspace = shutil.copytree(FIXTURES / "seed", tmp_path / "workspace")
    runner = Runner(tmp_path, src, workspace)
    # the inputs of the documented workflow, on top of the action's defaults
    documented = load_yaml(doc_snippet("workflow"))["jobs"]["sigil-scan"]["steps"][-1]["with"]
    inputs = _inputs(action, **{k: str(v) for k, v in documented.items()})

    install = runner.run(steps["Install sigil-scan"], inputs)
    assert install.returncode == 0, install.stdout + install.stderr
    venv_bin = runner.files["GITHUB_PATH"].read_text().strip()
    assert venv_bin == str(runner.temp / "sigil-scan-venv" / "bin") and (Path(venv_bin) / "sigil").exists()

    scan = runner.run(steps["scan"], inputs)
    assert scan.returncode == 0, scan.stdout + scan.stderr  # fail-on never: code scanning carries it
    outputs = runner.outputs()
    assert outputs == {"sarif-file": "sigil-scan.sarif", "findings-count": "3", "highest-bucket": "critical"}
    sarif = json.loads((workspace / "sigil-scan.sarif").read_text())
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(sarif)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"hook-destructive-inline", "hook-host-shell", "hook-broad-matcher"}
    assert "[high] .claude/settings.json:7  destructive_in_inline_command" in scan.stdout  # the log report
    assert "3 finding(s); highest bucket: critical" in runner.files["GITHUB_STEP_SUMMARY"].read_text()

    # fail-on high with annotations: the step fails, the outputs (and so the upload) are still there
    runner.reset_outputs()
    failing = runner.run(steps["scan"], _inputs(action, **{"fail-on": "high", "format": "github", "sarif-file": "out dir.sarif"}))
    assert failing.returncode == 1
    assert failing.stdout.startswith("::error file=.claude/settings.json,line=7,col=32,")
    assert runner.outputs()["sarif-file"] == "out dir.sarif" and (workspace / "out dir.sarif").is_file()

    # a baseline with the current findings: nothing new, even with fail-on low
    run_baseline = subprocess.run([str(Path(venv_bin) / "sigil"), "scan", ".", "--write-baseline", "base line.json", "-q"], cwd=workspace, capture_output=True, text=True, timeout=60)
    assert run_baseline.returncode == 0, run_baseline.stderr
    runner.reset_outputs()
    quiet = runner.run(steps["scan"], _inputs(action, **{"fail-on": "low", "baseline": "base line.json"}))
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert runner.outputs()["findings-count"] == "0"

    # inputs are data, never shell: a command substitution in `path` is a (missing) path
    runner.reset_outputs()
    (workspace / "sigil-scan.sarif").unlink()
    hostile = runner.run(steps["scan"], _inputs(action, path="$(touch pwned) `touch pwned2`"))
    assert hostile.returncode == 2  # incomplete scan: the paths do not exist
    assert not (workspace / "pwned").exists() and not (workspace / "pwned2").exists()
    assert runner.outputs() == {"sarif-file": "sigil-scan.sarif"}  # the SARIF is still uploaded...
    incomplete = json.loads((workspace / "sigil-scan.sarif").read_text())["runs"][0]["invocations"][0]
    assert incomplete["executionSuccessful"] is False  # ...and says the scan was incomplete


@pytest.mark.parametrize("name", ("format", "fail-on"))
def test_input_defaults_match_docs(name: str) -> None:
    action = _action()
    assert f"`{name}`" in (REPO / "README.md").read_text()
    assert action["inputs"][name]["default"] in ("text", "never")
