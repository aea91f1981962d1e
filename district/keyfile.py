"""The console's cookie-signing key: made once by `vstation district init` (or the first run), mode 600."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .errors import DistrictError


def console_key_path(settings_path: Path) -> Path:
    return settings_path.parent / "console.secret"


def load_or_create(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise DistrictError(f"{path}: cannot be created ({exc.strerror}); run `vstation district init` "
                            "as the user who owns district.toml") from None
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key
