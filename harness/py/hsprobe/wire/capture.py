"""One tcpdump per batch on `lo`, filtered to the target's port.

    tcpdump -i lo --immediate-mode -U -Z root -B 32768 -w FILE 'tcp port N'

(filter 'tcp' instead when the engine plays the responder: the target then connects to a fresh
listening port per scenario.)

* Started before the engine; traffic may begin once tcpdump printed "listening on".
* `-B 32768` (a 32 MiB kernel buffer): with the default 2 MiB, a 4-job batch against tor loses
  packets ("N packets dropped by kernel", observed 50–100 of ~1800).
* Stopping: tcpdump writes each packet as it reads it, but SIGTERM ends it at once, so packets
  still queued in the kernel buffer would be lost without a drop count.  Before the signal we
  therefore send a *sentinel*: one TCP SYN to 127.0.0.2:N (nobody listens there: the kernel of
  the private namespace answers RST; the target is never touched) and wait until that SYN is in
  the file.  Everything sent before it is then on disk.
* Refuses to start outside a private network namespace (hsprobe.netns).
* At exit tcpdump prints "N packets dropped by kernel"; any drop makes the capture incomplete,
  which the wire check turns into an error for every scenario of the batch.
"""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from hsprobe import netns
from hsprobe.wire.pcap import (HEADER_SIZE, TCP_SYN, PcapError, decode_tcp, iter_frames,
                               pcap_header)

__all__ = ["Capture", "CaptureStats", "SENTINEL_HOST", "tcpdump_argv"]

SENTINEL_HOST = "127.0.0.2"
SENTINEL_PORT = 9          # when the capture is not filtered to one port
BUFFER_KIB = 32768


def tcpdump_argv(path: Path, port: Optional[int]) -> list[str]:
    """port None: every TCP packet on lo (the engine listened on a fresh port per scenario)."""
    return ["tcpdump", "-i", "lo", "--immediate-mode", "-U", "-Z", "root", "-B", str(BUFFER_KIB),
            "-w", str(path), f"tcp port {port}" if port else "tcp"]


@dataclass
class CaptureStats:
    path: str
    port: Optional[int]
    argv: list[str] = field(default_factory=list)
    captured: Optional[int] = None
    received: Optional[int] = None
    dropped: Optional[int] = None
    sentinel: Optional[str] = None     # how the flush was confirmed
    error: Optional[str] = None        # capture could not be started / is unusable
    stop_s: float = 0.0

    def as_dict(self) -> dict:
        return {"path": self.path, "port": self.port, "argv": self.argv,
                "captured": self.captured, "received": self.received, "dropped": self.dropped,
                "sentinel": self.sentinel, "error": self.error, "stop_s": round(self.stop_s, 4)}

    @classmethod
    def from_dict(cls, d: dict) -> "CaptureStats":
        return cls(d["path"], d["port"], d.get("argv") or [], d.get("captured"),
                   d.get("received"), d.get("dropped"), d.get("sentinel"), d.get("error"),
                   d.get("stop_s") or 0.0)


class Capture:
    def __init__(self, path: Path, port: Optional[int]):
        self.path = Path(path)
        self.port = port
        self.stats = CaptureStats(str(self.path), port, tcpdump_argv(self.path, port))
        self.proc: Optional[subprocess.Popen] = None
        self.err_path = self.path.with_name(self.path.name + ".tcpdump.log")

    def start(self, timeout: float = 10.0) -> bool:
        netns.assert_private_netns()   # captures happen only where lo is all there is
        if shutil.which("tcpdump") is None:
            self.stats.error = "tcpdump is not installed (Debian package tcpdump)"
            return False
        self.path.unlink(missing_ok=True)
        with open(self.err_path, "wb") as err:
            try:
                self.proc = subprocess.Popen(self.stats.argv, stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL, stderr=err)
            except OSError as e:
                self.stats.error = f"could not start tcpdump: {e}"
                return False
        deadline = time.monotonic() + timeout
        while b"listening on" not in self._stderr():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                why = "exited" if self.proc.poll() is not None else "did not start listening"
                self._kill()
                self.stats.error = f"tcpdump {why}: {self._stderr().decode(errors='replace')}"
                return False
            time.sleep(0.005)
        return True

    def _stderr(self) -> bytes:
        try:
            return self.err_path.read_bytes()
        except OSError:
            return b""

    def _kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()   # our own child, by PID
            self.proc.wait()

    def _send_sentinel(self) -> Optional[int]:
        """A SYN to SENTINEL_HOST:port from a port we know; returns that port."""
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", 0))
            sport = s.getsockname()[1]
            s.settimeout(1.0)
            try:
                s.connect((SENTINEL_HOST, self.port or SENTINEL_PORT))
            except OSError:
                pass    # refused is the normal answer
            return sport
        except OSError:
            return None
        finally:
            s.close()

    def _wait_for_sentinel(self, sport: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        offset, number, hdr = 0, 1, None
        while time.monotonic() < deadline:
            try:
                buf = self.path.read_bytes()
            except OSError:
                buf = b""
            if hdr is None and len(buf) >= HEADER_SIZE:
                try:
                    hdr = pcap_header(buf)
                except PcapError:
                    return False
                offset = HEADER_SIZE
            if hdr is not None:
                endian, ns, _snap, linktype = hdr
                for end, fr in iter_frames(buf, offset, number, endian, ns):
                    offset, number = end, fr.number + 1
                    seg = decode_tcp(linktype, fr)
                    if seg and seg.sport == sport and seg.dst == SENTINEL_HOST \
                            and seg.has(TCP_SYN):
                        return True
            time.sleep(0.005)
        return False

    def stop(self) -> CaptureStats:
        t0 = time.monotonic()
        if self.proc is None:
            return self.stats
        if self.proc.poll() is None:
            sport = self._send_sentinel()
            if sport is not None and self._wait_for_sentinel(sport, 5.0):
                self.stats.sentinel = (f"SYN to {SENTINEL_HOST}:{self.port or SENTINEL_PORT} from "
                                       f"port {sport}")
            else:
                self.stats.sentinel = None
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._kill()
        text = self._stderr().decode("utf-8", "replace")
        for key, rx in (("captured", r"(\d+) packets? captured"),
                        ("received", r"(\d+) packets? received by filter"),
                        ("dropped", r"(\d+) packets? dropped by kernel")):
            m = re.search(rx, text)
            setattr(self.stats, key, int(m.group(1)) if m else None)
        if self.stats.dropped is None and self.stats.error is None:
            self.stats.error = ("tcpdump did not report its drop count at exit (its stderr: "
                                f"{text.strip()[-300:]!r})")
        if self.stats.sentinel is None and self.stats.error is None:
            self.stats.error = ("the capture's flush could not be confirmed (the sentinel SYN "
                                "never reached the file): packets may be missing")
        self.stats.stop_s = time.monotonic() - t0
        return self.stats
