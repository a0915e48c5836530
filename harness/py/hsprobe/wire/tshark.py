"""ONE tshark pass over a whole capture: per frame, the TLS facts and the decrypted bytes.

    tshark -r CAP -o tls.keylog_file:KEYLOG -d tcp.port==PORT,tls -d tls.port==PORT,data -Y tls
           -T fields -e frame.number -e tcp.srcport -e tls.record.content_type ...

(one pair of -d options per TLS server port: the target's, or each listening port the engine
used as the responder)

`-d tls.port==PORT,data` hands every decrypted application-data record to the plain `data`
dissector, so no heuristic (HTTP over TLS, …) can claim a record and hide its bytes; each
record's plaintext then appears as one `data.data` value, several records in one frame
comma-separated, in record order.  A record tshark could not decrypt yields no `data.data`:
under TLS 1.2 it keeps content type 23, under TLS 1.3 it has no content type at all (only the
opaque type), so counting records, content types and data values per frame tells "decrypted
everything" from "missed some".

The caller demultiplexes the frames into connections (frame.number = position in the file).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

__all__ = ["TlsFrame", "TsharkError", "FIELDS", "tshark_argv", "run_tshark", "parse_fields"]

FIELDS = ("frame.number", "tcp.srcport", "tls.record.length", "tls.record.content_type",
          "tls.handshake.type",
          "tls.handshake.random", "tls.handshake.ciphersuite",
          "tls.handshake.extensions.supported_version", "tls.handshake.certificate",
          "data.data")


class TsharkError(RuntimeError):
    pass


@dataclass
class TlsFrame:
    number: int
    srcport: int
    records: int = 0
    content_types: list[int] = field(default_factory=list)
    hs_types: list[int] = field(default_factory=list)
    randoms: list[str] = field(default_factory=list)
    ciphersuites: list[int] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)
    certificates: list[bytes] = field(default_factory=list)
    data: list[bytes] = field(default_factory=list)

    @property
    def undecrypted(self) -> int:
        """Records of this frame whose plaintext tshark could not recover."""
        no_type = max(0, self.records - len(self.content_types))          # TLS 1.3
        app = sum(1 for t in self.content_types if t == 23)
        return no_type + max(0, app - len(self.data))                      # TLS 1.2


def tshark_argv(capture: Path, keylog: Path, ports: Iterable[int]) -> list[str]:
    """ports: the TLS server ports (the target's, or the engine's listening ports)."""
    argv = ["tshark", "-n", "-r", str(capture), "-o", f"tls.keylog_file:{keylog}"]
    for port in sorted(set(ports)):
        argv += ["-d", f"tcp.port=={port},tls", "-d", f"tls.port=={port},data"]
    argv += ["-Y", "tls", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
             "-E", "aggregator=,"]
    for f in FIELDS:
        argv += ["-e", f]
    return argv


def _ints(v: str) -> list[int]:
    return [int(x, 0) for x in v.split(",") if x]


def parse_fields(text: str) -> dict[int, TlsFrame]:
    out: dict[int, TlsFrame] = {}
    for line in text.splitlines():
        cols = line.split("\t")
        if len(cols) < len(FIELDS) or not cols[0].isdigit():
            continue
        num, sport, lens, ctype, htype, rnd, suites, vers, certs, data = cols[:len(FIELDS)]
        fr = TlsFrame(int(num), int(sport) if sport.isdigit() else 0)
        fr.records = len([x for x in lens.split(",") if x])
        fr.content_types = _ints(ctype)
        fr.hs_types = _ints(htype)
        fr.randoms = [r.lower() for r in rnd.split(",") if r]
        fr.ciphersuites = _ints(suites)
        fr.versions = _ints(vers)
        fr.certificates = [bytes.fromhex(c) for c in certs.split(",") if c]
        fr.data = [bytes.fromhex(d) for d in data.split(",") if d]
        out[fr.number] = fr
    return out


def run_tshark(capture: Path, keylog: Path, ports: Iterable[int], timeout: float = 300.0
               ) -> dict[int, TlsFrame]:
    if shutil.which("tshark") is None:
        raise TsharkError("tshark is not installed (Debian package tshark)")
    argv = tshark_argv(capture, keylog, ports)
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TsharkError(f"tshark did not finish within {timeout:g} s") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        err = [l for l in err if "Running as user" not in l]
        raise TsharkError(f"tshark exit {proc.returncode}: {' / '.join(err[-3:])}")
    return parse_fields(proc.stdout.decode("ascii", "replace"))
