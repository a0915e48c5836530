"""NSS key log files (`LABEL <client random hex> <secret hex>` per line), indexed by client
random: which secrets a handshake left, and the exact lines to embed in a pcapng.

The engine appends to one key log per run (--keylog); every line is a secret of one TLS
handshake, named by that handshake's client random.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

__all__ = ["KeyLog", "read_keylog", "parse_keylog", "TLS12_NEEDS", "TLS13_NEEDS", "missing_secrets"]

TLS12_NEEDS = ("CLIENT_RANDOM",)
TLS13_NEEDS = ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
               "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0")

_LINE = re.compile(r"^([A-Z0-9_]+) ([0-9a-fA-F]{64}) ([0-9a-fA-F]+)$")


@dataclass
class KeyLog:
    secrets: dict[str, dict[str, bytes]] = field(default_factory=dict)  # random -> label -> secret
    lines: dict[str, list[str]] = field(default_factory=dict)           # random -> its lines
    bad_lines: list[int] = field(default_factory=list)

    def labels(self, client_random: str) -> set[str]:
        return set(self.secrets.get(client_random.lower(), {}))

    def secret(self, client_random: str, label: str):
        return self.secrets.get(client_random.lower(), {}).get(label)

    def lines_for(self, randoms: Iterable[str]) -> list[str]:
        out: list[str] = []
        for r in randoms:
            out.extend(self.lines.get(r.lower(), []))
        return out


def parse_keylog(text: str) -> KeyLog:
    kl = KeyLog()
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            kl.bad_lines.append(n)
            continue
        label, rnd, secret = m.group(1), m.group(2).lower(), m.group(3)
        if len(secret) % 2:
            kl.bad_lines.append(n)
            continue
        kl.secrets.setdefault(rnd, {})[label] = bytes.fromhex(secret)
        kl.lines.setdefault(rnd, []).append(line)
    return kl


def read_keylog(path: Path) -> KeyLog:
    return parse_keylog(Path(path).read_text(encoding="ascii", errors="replace"))


def missing_secrets(kl: KeyLog, client_random: str, tls_version: str) -> list[str]:
    """Labels a completed handshake of `tls_version` ('TLS1.2' / 'TLS1.3') needs to be
    decrypted and that the key log lacks for this client random."""
    need = TLS13_NEEDS if tls_version == "TLS1.3" else TLS12_NEEDS
    have = kl.labels(client_random)
    return [n for n in need if n not in have]
