"""Copy an existing local documents folder into the configured store, checking every hash."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from portal_app.storage.base import FileStore
from portal_app.storage.local import LocalStore

# Content-addressed keys name their own hash: <sha256[:2]>/<sha256> or branding/<sha256>.<ext>.
_HASHED = re.compile(r"(?:[0-9a-f]{2}/|branding/)([0-9a-f]{64})(?:\.[a-z]+)?")


@dataclass(slots=True)
class CopyReport:
    """What a copy did: files copied, already there, and the keys that failed a check."""

    copied: int = 0
    present: int = 0
    corrupt: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every file arrived with its hash."""
        return not self.corrupt


def expected_sha256(key: str, data: bytes) -> str:
    """The hash a file must have: the one its key names, else that of the source bytes."""
    named = _HASHED.fullmatch(key)
    return named.group(1) if named else hashlib.sha256(data).hexdigest()


def copy_folder(source: Path, target: FileStore) -> CopyReport:
    """Copy every file of `source` (hidden and cache files left out) to `target` under the same
    key. A content-addressed file whose bytes do not match its name is reported and not copied;
    after each upload the stored bytes are read back and hashed."""
    report = CopyReport()
    local = LocalStore(source)
    for item in sorted(local.list(), key=lambda i: i.key):
        data = local.get(item.key)
        want = expected_sha256(item.key, data)
        if hashlib.sha256(data).hexdigest() != want:
            report.corrupt.append(item.key)
            continue
        if target.exists(item.key) and hashlib.sha256(target.get(item.key)).hexdigest() == want:
            report.present += 1
            continue
        target.put(item.key, data)
        if hashlib.sha256(target.get(item.key)).hexdigest() != want:
            report.corrupt.append(item.key)
            continue
        report.copied += 1
    return report
