"""OpenAI Codex CLI: config.toml (user, project, system), profiles, hooks.json, *.rules exec
policy, and the managed requirements.toml (agent-surfaces.md §2).

A profile is assessed like the root table (a risky profile is a finding even when it is not the
default): its facts carry `profile`. Requirements are reported as controls, never scored.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from sigil_scan.adapters.claude_code import hooks
from sigil_scan.adapters.common import (
    AdaptContext,
    KeyPath,
    as_dict,
    as_list,
    as_str,
    fact,
    str_list,
)
from sigil_scan.adapters.mcp import server_facts
from sigil_scan.lazyre import LazyPattern
from sigil_scan.model import Document, Fact

_ENDPOINT_KEYS = ("openai_base_url", "chatgpt_base_url", "experimental_realtime_ws_base_url")


def config(document: Document, context: AdaptContext) -> list[Fact]:
    data = as_dict(document.value)
    facts = _layer(document, data, (), None)
    for name, profile in as_dict(data.get("profiles")).items():
        facts += _layer(document, as_dict(profile), ("profiles", name), str(name))
    for path, entry in as_dict(data.get("projects")).items():
        level = as_str(as_dict(entry).get("trust_level"))
        if level:
            facts.append(fact(document, "trust_grant", ("projects", path, "trust_level"), path=str(path), level=level, mechanism="trust_level"))
    facts += server_facts(document, data.get("mcp_servers"), ("mcp_servers",))
    facts += hooks(document, data.get("hooks"), ("hooks",))
    notify = data.get("notify")
    if notify:
        facts.append(fact(document, "helper_command", ("notify",), key="notify", command=shlex.join(str_list(notify)) if isinstance(notify, list) else str(notify)))
    for key in _ENDPOINT_KEYS:
        url = as_str(data.get(key))
        if url:
            facts.append(fact(document, "endpoint", (key,), key=key, url=url))
    for provider, spec in as_dict(data.get("model_providers")).items():
        url = as_str(as_dict(spec).get("base_url"))
        if url:
            facts.append(fact(document, "endpoint", ("model_providers", provider, "base_url"), key=f"model_providers.{provider}.base_url", url=url))
    policy = as_dict(data.get("shell_environment_policy"))
    for name, value in as_dict(policy.get("set")).items():
        facts.append(fact(document, "env_var", ("shell_environment_policy", "set", name), name=str(name), value=value, pair={str(name): value}))
    return facts


def _layer(document: Document, data: dict[str, Any], at: KeyPath, profile: str | None) -> list[Fact]:
    """The execution-gating keys of the root table or of one profile."""
    facts: list[Fact] = []
    where = f"profile {profile}" if profile else "default"
    approval = data.get("approval_policy")
    if isinstance(approval, str):
        facts.append(fact(document, "permission_mode", (*at, "approval_policy"), mode=approval, key="approval_policy", profile=profile, at=where))
    sandbox = as_str(data.get("sandbox_mode"))
    default_permissions = as_str(data.get("default_permissions"))
    if sandbox or default_permissions:
        mode = sandbox or (default_permissions or "").lstrip(":")
        key = "sandbox_mode" if sandbox else "default_permissions"
        facts.append(fact(document, "sandbox", (*at, key), mode=mode, key=key, profile=profile, at=where))
    workspace = as_dict(data.get("sandbox_workspace_write"))
    if workspace.get("network_access") is True:
        facts.append(fact(document, "network_access", (*at, "sandbox_workspace_write", "network_access"), key="sandbox_workspace_write.network_access", profile=profile, at=where))
    for i, root in enumerate(as_list(workspace.get("writable_roots"))):
        if isinstance(root, str):
            facts.append(fact(document, "writable_root", (*at, "sandbox_workspace_write", "writable_roots", i), path=root, profile=profile, at=where))
    for name, perm in as_dict(data.get("permissions")).items():
        network = as_dict(as_dict(perm).get("network"))
        if network.get("enabled") is True and not network.get("domains"):
            facts.append(fact(document, "network_access", (*at, "permissions", name, "network", "enabled"), key=f"permissions.{name}.network.enabled", profile=profile, at=where))
    return facts


def hooks_file(document: Document, context: AdaptContext) -> list[Fact]:
    """`.codex/hooks.json`: the Claude-shaped `{"hooks": {...}}` object."""
    return hooks(document, as_dict(document.value).get("hooks"), ("hooks",))


_PREFIX_RULE = LazyPattern(r"prefix_rule\s*\(", re.MULTILINE)
_PATTERN = LazyPattern(r"pattern\s*=\s*(\[[^\]]*(?:\[[^\]]*\][^\]]*)*\])", re.DOTALL)
_DECISION = LazyPattern(r"decision\s*=\s*[\"']([A-Za-z_]+)[\"']")


def exec_rules(document: Document, context: AdaptContext) -> list[Fact]:
    """`*.rules` (Starlark): each `prefix_rule(...)` call -> a standing_approval fact.
    `decision` defaults to allow; only the argument text up to the matching `)` is read."""
    text = document.text or ""
    facts: list[Fact] = []
    for m in _PREFIX_RULE.finditer(text):
        if len(facts) >= MAX_RULES:  # a real rules file has tens of rules; bound hostile ones
            break
        body = _call_body(text, m.end())
        pattern = _PATTERN.search(body)
        decision = _DECISION.search(body)
        tokens = re.findall(r"[\"']([^\"']*)[\"']", pattern.group(1)) if pattern else []
        line = text.count("\n", 0, m.start()) + 1
        facts.append(
            Fact(
                "standing_approval",
                {"pattern": " ".join(tokens), "decision": decision.group(1) if decision else "allow", "rule": f"Bash({' '.join(tokens)}:*)"},
                document.path,
                (line,),
                line,
                1,
            )
        )
    return facts


MAX_RULES = 2_000
MAX_CALL = 4_000  # characters of one prefix_rule(...) call that are read


def _call_body(text: str, start: int) -> str:
    depth = 1
    for i in range(start, min(len(text), start + MAX_CALL)):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return text[start:i]
    return text[start : start + MAX_CALL]


_REQUIREMENT_KEYS = (
    "allowed_approval_policies",
    "allowed_sandbox_modes",
    "allowed_web_search_modes",
    "allowed_approvals_reviewers",
    "allowed_permission_profiles",
    "default_permissions",
    "allow_managed_hooks_only",
    "enforce_residency",
)


def requirements(document: Document, context: AdaptContext) -> list[Fact]:
    """Managed requirements.toml: every constraint present, reported as a control."""
    data = as_dict(document.value)
    facts = [fact(document, "control", (key,), key=key, value=data[key]) for key in _REQUIREMENT_KEYS if key in data]
    for table in ("features", "mcp_servers", "rules", "experimental_network", "permissions"):
        if table in data:
            facts.append(fact(document, "control", (table,), key=table, value=data[table]))
    # a requirements file that still allows the dangerous values is worth saying so (as a control)
    for key, bad in (("allowed_approval_policies", "never"), ("allowed_sandbox_modes", "danger-full-access")):
        if bad in str_list(data.get(key)):
            facts.append(fact(document, "control", (key,), key=f"{key} allows {bad}", value=True))
    return facts
