"""Secrets bound in, never baked (the recipe's workflow): keys and a config with an API token,
made fresh for each run on the host, bound read-only into the shell app at run time. The
scans that prove they went nowhere else are in ``probes/leaks.py``."""

from __future__ import annotations

import os
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path("/run/seatcheck/secrets")  # on the host; tmpfs on systemd hosts, never in reports
MOUNT = ".secrets"  # under the seat user's home in the shell app


@dataclass(frozen=True)
class SecretSet:
    folder: Path
    token: bytes  # the bytes that must be found nowhere else
    modes: dict[str, int] = field(default_factory=dict)  # file name -> mode
    made_at: float = 0.0  # epoch seconds: images older than this cannot hold it

    def mount_point(self, user: str) -> str:
        return f"/home/{user}/{MOUNT}"


class SeatSecrets:
    """A run's secrets: made fresh on first use (bound read-only into the shell app), gone
    with the seat; their token outlives their removal, for the checks after it."""

    def __init__(self, session: str, uid: int) -> None:
        self.session, self.uid = session, uid
        self.made: SecretSet | None = None

    def get(self) -> SecretSet:
        if self.made is None:
            self.made = make(self.session, self.uid)
        return self.made

    def remove(self) -> None:
        if self.made is not None:
            remove(self.made)


def make(session: str, uid: int) -> SecretSet:
    """A fresh secret set for one run: an SSH-style key file (0600) and a config holding an API
    token (0640), owned by the seat user, in a folder only it may enter (0700)."""
    folder = ROOT / session
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(24).encode()
    files = {
        "id_seatcheck": (0o600, b"-----BEGIN SEATCHECK TEST KEY-----\n" + token
                         + b"\n-----END SEATCHECK TEST KEY-----\n"),
        "api.conf": (0o640, b"# made for one seatcheck run\napi_token = " + token + b"\n"),
    }  # fmt: skip
    for name, (mode, data) in files.items():
        path = folder / name
        path.write_bytes(data)
        os.chmod(path, mode)
        os.chown(path, uid, uid)
    os.chmod(folder, 0o700)
    os.chown(folder, uid, uid)
    return SecretSet(folder, token, {n: m for n, (m, _) in files.items()}, time.time())


def remove(found: SecretSet) -> None:
    shutil.rmtree(found.folder, ignore_errors=True)
