"""Pull the signed rule pack the receiver publishes (`GET /v1/rule-packs`, with ETag) and hand it to
the verifier. A pack is installed only through `sigil_scan.packs.install_pack`, which verifies the
signature, the trust store, expiry and anti-rollback first: nothing unverified is ever installed."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from sigil_scan.errors import SigilError
from sigil_scan.upload.config import PackPull
from sigil_scan.upload.transport import HttpsClient, TransportError

PATH = "/v1/rule-packs"


class PackPuller:
    def __init__(self, settings: PackPull, client: HttpsClient, state_file: Path, token_header: str | None) -> None:
        if settings.trust is None:
            raise SigilError("upload config: packs.trust (the trust store) is required to pull rule packs")
        self.settings = settings
        self.client = client
        self.state_file = state_file
        self.token_header = token_header

    def _etag(self) -> str | None:
        try:
            value = json.loads(self.state_file.read_text()).get("etag")
            return value if isinstance(value, str) else None
        except (OSError, ValueError, AttributeError):
            return None

    def _save(self, etag: str | None, outcome: str) -> None:
        with contextlib.suppress(OSError):
            self.state_file.write_text(json.dumps({"etag": etag, "outcome": outcome}))

    def pull(self) -> tuple[str, str]:
        """(outcome, message); outcome: unchanged | none | installed | rejected | error."""
        headers = {"Accept": "application/octet-stream"}
        if self.token_header:
            headers["Authorization"] = self.token_header
        etag = self._etag()
        if etag:
            headers["If-None-Match"] = etag
        try:
            resp = self.client.request("GET", PATH, None, headers)
        except TransportError as exc:
            return "error", f"rule packs: {exc}"
        if resp.status == 304:
            return "unchanged", "rule packs: unchanged"
        if resp.status == 404:
            return "none", "rule packs: the receiver publishes none"
        if resp.status != 200:
            return "error", f"rule packs: HTTP {resp.status}"
        try:
            from sigil_scan.packs import PackRejected, install_pack, load_trust
        except ImportError:
            return "error", "rule packs: signed packs are not available in this build"
        new_etag = resp.headers.get("etag")
        try:
            pack = install_pack(
                resp.body,
                trust=load_trust(self.settings.trust),  # type: ignore[arg-type]
                state_db=self.settings.state_db,
                packs_dir=self.settings.packs_dir or _default_packs_dir(),
            )
        except PackRejected as exc:
            # remember the ETag: the same bytes would be rejected again on every poll
            self._save(new_etag, "rejected")
            return "rejected", f"rule packs: rejected ({exc.reason}): {exc.detail}"
        except SigilError as exc:
            return "error", f"rule packs: {exc}"
        self._save(new_etag, "installed")
        return "installed", f"rule packs: installed {getattr(pack, 'name', '')} {getattr(pack, 'version', '')}".rstrip()


def _default_packs_dir() -> Path:
    from sigil_scan.locations import packs_dir

    return packs_dir()
