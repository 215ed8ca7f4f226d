"""Options of `sigil serve`, and the per-host bearer tokens file."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from pathlib import Path

from sigil_scan.errors import SigilError


@dataclass(slots=True)
class ServeConfig:
    cert: Path
    key: Path
    bind: str = "127.0.0.1"
    port: int = 8443
    client_ca: Path | None = None
    require_client_cert: bool = False
    tokens: dict[str, str] = field(default_factory=dict, repr=False)  # host_id -> token
    read_token: str | None = field(default=None, repr=False)
    db: Path = Path("sigil-serve.db")
    packs_dir: Path | None = None
    port_file: Path | None = None
    max_body_bytes: int = 8 * 1024 * 1024
    max_batch_events: int = 5000
    request_timeout: float = 30.0
    verbose: bool = False

    @property
    def max_decoded_bytes(self) -> int:
        # a gzip body may expand; beyond 4x the wire limit it is a bomb, not a batch
        return 4 * self.max_body_bytes


def load_tokens(path: Path) -> dict[str, str]:
    """YAML mapping host_id -> token. Tokens shorter than 16 characters are refused (guessable)."""
    from sigil_scan.yamlload import load_yaml

    try:
        data = load_yaml(path.read_bytes())
    except OSError as exc:
        raise SigilError(f"serve: cannot read tokens file {path}: {exc.strerror or exc}") from exc
    except Exception as exc:
        raise SigilError(f"serve: tokens file {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise SigilError(f"serve: tokens file {path} must map host_id to token")
    weak = [k for k, v in data.items() if len(v) < 16]
    if weak:
        raise SigilError(f"serve: tokens shorter than 16 characters for: {', '.join(sorted(weak))}")
    return dict(data)


def read_secret_file(path: Path) -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SigilError(f"serve: cannot read {path}: {exc.strerror or exc}") from exc
    if len(value) < 16:
        raise SigilError(f"serve: the token in {path} is shorter than 16 characters")
    return value


def host_for_token(tokens: dict[str, str], presented: str) -> str | None:
    """Constant-time comparison against every token, so timing does not reveal a prefix match."""
    found = None
    for host, token in tokens.items():
        if hmac.compare_digest(token.encode(), presented.encode()):
            found = host
    return found
