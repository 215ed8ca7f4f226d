"""`sigil upload --config FILE`: the YAML configuration, with secrets read from files or env.

A token is never accepted as a literal in the config or on the command line: it comes from a
file (`token: {file: PATH}`) or an environment variable (`token: {env: NAME}`), so it stays out of
shell history, `ps` output and config files that end up in a repository.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sigil_scan.errors import SigilError

SINKS = ("native", "hec", "bulk", "syslog")
_DEFAULT_SCHEME = {"native": "Bearer", "hec": "Splunk", "bulk": "ApiKey", "syslog": ""}


@dataclass(frozen=True, slots=True)
class TlsConfig:
    ca_file: Path | None = None  # pinned CA: only this CA is trusted (no system roots)
    client_cert: Path | None = None  # client certificate (mTLS)
    client_key: Path | None = None
    server_name: str | None = None  # SNI / hostname to verify, when it differs from the URL host


@dataclass(frozen=True, slots=True)
class PackPull:
    interval: float = 300.0
    trust: Path | None = None
    state_db: Path | None = None
    packs_dir: Path | None = None


@dataclass(slots=True)
class UploadConfig:
    sink: str = "native"
    url: str = ""
    tls: TlsConfig = field(default_factory=TlsConfig)
    token: str | None = field(default=None, repr=False)
    auth_scheme: str = "Bearer"
    spool: Path | None = None
    consumer: str = "uploader"
    dead_letter_dir: Path | None = None
    max_events: int = 500
    max_bytes: int = 1024 * 1024
    gzip: bool = True
    timeout: float = 10.0
    backoff_initial: float = 1.0
    backoff_max: float = 300.0
    # TLS and auth failures need a person, not a hammering client: a slower schedule
    auth_backoff_initial: float = 60.0
    auth_backoff_max: float = 3600.0
    retry_after_max: float = 3600.0
    deadline: float = 300.0  # one-shot mode: give up (exit 2, nothing lost) after this long
    poll: float = 2.0  # --follow: how often to look for new events
    heartbeat_interval: float = 300.0  # 0 disables heartbeat events
    hec: dict[str, Any] = field(default_factory=dict)
    bulk_index: str = "sigil-events"
    syslog_facility: int = 13  # log audit
    syslog_app_name: str = "sigil-scan"
    packs: PackPull | None = None

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (6514 if self.sink == "syslog" else 443)


def _path(value: Any, base: Path, key: str) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise SigilError(f"upload config: {key} must be a path")
    p = Path(os.path.expanduser(value))
    return p if p.is_absolute() else base / p


def _num(section: dict[str, Any], key: str, default: float, *, minimum: float = 0.0) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise SigilError(f"upload config: {key} must be a number >= {minimum}")
    return float(value)


def _section(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise SigilError(f"upload config: {key} must be a mapping")
    return value


def read_secret(spec: Any, base: Path, key: str = "token") -> str | None:
    """`{file: PATH}` or `{env: NAME}`; a bare string is refused (it would be a secret in the file)."""
    if spec is None:
        return None
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in ("file", "env"):
        raise SigilError(f"upload config: {key} must be {{file: PATH}} or {{env: NAME}}, never the secret itself")
    if "env" in spec:
        value = os.environ.get(str(spec["env"]))
        if not value:
            raise SigilError(f"upload config: {key}: environment variable {spec['env']} is not set")
        return value.strip()
    path = _path(spec["file"], base, key)
    assert path is not None
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SigilError(f"upload config: {key}: cannot read {path}: {exc.strerror or exc}") from exc
    if not value:
        raise SigilError(f"upload config: {key}: {path} is empty")
    return value


_KNOWN = {
    "sink", "url", "tls", "token", "auth_scheme", "spool", "consumer", "dead_letter_dir", "batch",
    "gzip", "timeout", "backoff", "deadline", "poll", "heartbeat_interval", "hec", "bulk", "syslog", "packs",
}


def parse_config(data: Any, base: Path) -> UploadConfig:
    if not isinstance(data, dict):
        raise SigilError("upload config: the file must be a YAML mapping")
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        raise SigilError(f"upload config: unknown key(s): {', '.join(unknown)}")
    sink = data.get("sink", "native")
    if sink not in SINKS:
        raise SigilError(f"upload config: sink must be one of {', '.join(SINKS)}")
    url = data.get("url")
    if not isinstance(url, str) or not url:
        raise SigilError("upload config: url is required")
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise SigilError("upload config: url must not carry credentials; use token: {file: ...} or {env: ...}")
    want = ("tls",) if sink == "syslog" else ("https",)
    if parts.scheme not in want or not parts.hostname:
        # plain http / plain TCP syslog would send posture data and tokens in clear text
        raise SigilError(f"upload config: url for the {sink} sink must be {want[0]}://HOST[:PORT]")
    tls_s = _section(data, "tls")
    tls = TlsConfig(
        ca_file=_path(tls_s.get("ca_file"), base, "tls.ca_file"),
        client_cert=_path(tls_s.get("client_cert"), base, "tls.client_cert"),
        client_key=_path(tls_s.get("client_key"), base, "tls.client_key"),
        server_name=tls_s.get("server_name"),
    )
    if tls.client_key and not tls.client_cert:
        raise SigilError("upload config: tls.client_key without tls.client_cert")
    batch = _section(data, "batch")
    backoff = _section(data, "backoff")
    hec = _section(data, "hec")
    bulk = _section(data, "bulk")
    syslog = _section(data, "syslog")
    packs_s = data.get("packs")
    packs = None
    if packs_s is not None:
        if not isinstance(packs_s, dict):
            raise SigilError("upload config: packs must be a mapping")
        packs = PackPull(
            interval=_num(packs_s, "interval", 300.0, minimum=1.0),
            trust=_path(packs_s.get("trust"), base, "packs.trust"),
            state_db=_path(packs_s.get("state_db"), base, "packs.state_db"),
            packs_dir=_path(packs_s.get("packs_dir"), base, "packs.packs_dir"),
        )
    facility = syslog.get("facility", 13)
    if not isinstance(facility, int) or not 0 <= facility <= 23:
        raise SigilError("upload config: syslog.facility must be 0..23")
    scheme = data.get("auth_scheme", _DEFAULT_SCHEME[sink])
    if not isinstance(scheme, str) or not scheme.isalpha() and scheme:
        raise SigilError("upload config: auth_scheme must be a word such as Bearer, Splunk, ApiKey, Basic")
    consumer = data.get("consumer", "uploader")
    if not isinstance(consumer, str):
        raise SigilError("upload config: consumer must be a string")
    return UploadConfig(
        sink=sink,
        url=url.rstrip("/"),
        tls=tls,
        token=read_secret(data.get("token"), base),
        auth_scheme=scheme,
        spool=_path(data.get("spool"), base, "spool"),
        consumer=consumer,
        dead_letter_dir=_path(data.get("dead_letter_dir"), base, "dead_letter_dir"),
        max_events=int(_num(batch, "max_events", 500, minimum=1)),
        max_bytes=int(_num(batch, "max_bytes", 1024 * 1024, minimum=1024)),
        gzip=bool(data.get("gzip", True)),
        timeout=_num(data, "timeout", 10.0, minimum=0.05),
        backoff_initial=_num(backoff, "initial", 1.0),
        backoff_max=_num(backoff, "max", 300.0),
        auth_backoff_initial=_num(backoff, "auth_initial", 60.0),
        auth_backoff_max=_num(backoff, "auth_max", 3600.0),
        retry_after_max=_num(backoff, "retry_after_max", 3600.0),
        deadline=_num(data, "deadline", 300.0),
        poll=_num(data, "poll", 2.0, minimum=0.01),
        heartbeat_interval=_num(data, "heartbeat_interval", 300.0),
        hec={k: hec[k] for k in ("index", "sourcetype", "source") if k in hec},
        bulk_index=str(bulk.get("index", "sigil-events")),
        syslog_facility=facility,
        syslog_app_name=str(syslog.get("app_name", "sigil-scan"))[:48],
        packs=packs,
    )


def load_config(path: Path) -> UploadConfig:
    from sigil_scan.yamlload import load_yaml

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SigilError(f"upload config: cannot read {path}: {exc.strerror or exc}") from exc
    try:
        data = load_yaml(raw)
    except Exception as exc:  # a YAML error of any kind is a config error, not a crash
        raise SigilError(f"upload config: {path} is not valid YAML: {exc}") from exc
    return parse_config(data, path.resolve().parent)
