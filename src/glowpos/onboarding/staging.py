"""An uploaded file waits here between the preview and the owner's confirmation: under
VAR_DIR/imports/<business>/<sha256>, outside the database (a preview writes nothing there).
Several app servers need VAR_DIR on a shared volume for this (docs/decisions/0006).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

from django.conf import settings

from glowpos.errors import NotFound
from glowpos.tenancy.models import Business

KEEP_SECONDS = 24 * 3600


def _folder(business: Business) -> Path:
    return Path(settings.VAR_DIR) / "imports" / str(business.id)


def stage(*, business: Business, sha256: str, data: bytes, filename: str) -> None:
    folder = _folder(business)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*"):  # yesterday's abandoned previews
        if old.stat().st_mtime < time.time() - KEEP_SECONDS:
            old.unlink(missing_ok=True)
    (folder / sha256).write_bytes(data)
    (folder / f"{sha256}.name").write_text(filename, encoding="utf-8")


def staged(*, business: Business, sha256: str) -> tuple[bytes, str]:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        raise NotFound("Upload the file again.")
    path = _folder(business) / sha256
    if not path.exists():
        raise NotFound("That upload has expired; upload the file again.")
    name = path.with_name(f"{sha256}.name")
    return path.read_bytes(), name.read_text(encoding="utf-8") if name.exists() else "upload"


def discard(*, business: Business, sha256: str) -> None:
    if re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        for path in (_folder(business) / sha256, _folder(business) / f"{sha256}.name"):
            path.unlink(missing_ok=True)
