"""`sigil show paths|config|rules`, `sigil doctor`, `sigil version`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from sigil_scan import __version__
from sigil_scan.commands.argparsing import FILE, Group, leaf
from sigil_scan.commands.common import echo, home_dir

PLATFORMS = ("linux", "macos", "windows")

show = Group(
    "Show what the scanner would look at on this machine.",
    {
        "paths": (f"{__name__}:show_paths", "Every user, managed and application surface for this machine, found or not."),
        "config": (f"{__name__}:show_config", "The effective configuration: rule sources, rubric, discovery settings and merged policy."),
    },
)


def _paths_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--platform", choices=PLATFORMS, help="Resolve for another platform.")


def _show_paths(platform: str | None) -> None:
    """Every user, managed and application surface for this machine, found or not."""
    from sigil_scan.engine.library import load_library
    from sigil_scan.surfaces import ProjectIndex, current_platform, existing, global_surfaces

    library = load_library()
    chosen = platform or current_platform()
    for surface in global_surfaces(library, platform=chosen, home=home_dir()):
        found = existing(surface.pattern) if chosen == current_platform() else []
        mark = "found  " if found else "absent "
        echo(f"{mark} {surface.spec.tool:<14} {surface.spec.scope.value:<12} {surface.pattern}")
    echo("")
    echo("project surfaces (relative to each project root):")
    for p in ProjectIndex(library, chosen).patterns:
        echo(f"        {p.spec.tool:<14} {'/'.join(p.parts)}")


show_paths = leaf(_show_paths, _paths_arguments)


def _config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", type=FILE, metavar="FILE", help="Policy YAML to merge (default: policy.yaml in the config dir, if present).")
    parser.add_argument("--platform", choices=PLATFORMS, help="Resolve the policy for another platform.")


def _show_config(policy: Path | None, platform: str | None) -> None:
    """The effective configuration: rule sources, rubric, discovery settings and merged policy."""
    from sigil_scan.engine.library import load_library
    from sigil_scan.resources import rules_dir

    library = load_library()
    effective = _effective_policy(library, policy, platform)
    echo(json.dumps(
        {
            "policy": effective,
            "version": __version__,
            "rule_sources": [str(s) for s in library.sources],
            "rules": len(library.rules),
            "surfaces": len(library.surfaces),
            "pattern_sets": sorted(library.patterns),
            "rubric": library.rubric,
            "discovery": str(rules_dir() / "discovery.yaml"),
        },
        indent=2,
    ))


show_config = leaf(_show_config, _config_arguments)


def _effective_policy(library: Any, policy: Path | None, platform: str | None) -> dict[str, Any] | None:
    """The merged policy (built-in targets, overrides, user targets) when a policy is known."""
    from sigil_scan.locations import config_dir
    from sigil_scan.policy import load_policy, merge
    from sigil_scan.surfaces import current_platform

    default = config_dir() / "policy.yaml"
    path = policy or (default if default.is_file() else None)
    if path is None:
        return None
    merged = merge(load_policy(path), library, platform=platform or current_platform(), home=home_dir())
    return merged.wire(home=home_dir(), env=os.environ)


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def _doctor() -> None:
    """Check the installation: libraries, the rule library against its schemas, this machine."""
    problems = 0

    def line(ok: bool, text: str) -> None:
        nonlocal problems
        problems += 0 if ok else 1
        echo(f"{'ok  ' if ok else 'FAIL'} {text}")

    import yaml

    line(True, f"sigil-scan {__version__} on Python {sys.version.split()[0]}")
    line(hasattr(yaml, "CSafeLoader"), "PyYAML has libyaml (fast C loader)")
    try:
        import tomli  # noqa: F401

        line(True, "tomli available (fast TOML)")
    except ImportError:
        line(True, "tomli missing: using stdlib tomllib (slower)")
    from sigil_scan.engine.library import load_library, validate
    from sigil_scan.errors import SigilError
    from sigil_scan.resources import rules_dir
    from sigil_scan.yamlload import load_yaml

    root = rules_dir()
    try:
        library = load_library()
        for rule in library.rules:
            doc = {k: v for k, v in rule.items() if not k.startswith("_")}
            validate(doc, "rule", Path(rule["_source"]))
        for path in sorted((root / "surfaces").glob("*.yaml")):
            validate(load_yaml(path.read_bytes()), "surfaces", path)
        line(True, f"rule library {root}: {len(library.rules)} rules, {len(library.surfaces)} surfaces valid")
    except SigilError as exc:
        line(False, f"rule library: {exc}")
    home = home_dir()
    line(os.access(home, os.R_OK), f"home directory {home} readable")
    # fleet delivery: the uploader's heartbeat (last ack, lag, dead letters), when one has run
    from sigil_scan.upload.status import doctor_lines

    for ok, text in doctor_lines():
        line(ok, text)
    sys.exit(1 if problems else 0)


doctor = leaf(_doctor, _no_arguments)


def _version() -> None:
    """Print the version."""
    echo(f"sigil-scan {__version__}")


version = leaf(_version, _no_arguments)
