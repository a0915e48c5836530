"""Managed peer processes (DESIGN.md "Peers").

A peer is an executable launcher `peers/<name>/run --run-dir DIR --port N [--role ROLE]` that
starts a real target bound to 127.0.0.1, proves it usable with a real TLS handshake, prints one
`READY HOST:PORT key=value ...` line, logs into DIR, and stops on SIGTERM.  `ManagedPeer` starts
one with a free port, waits for READY with a deadline, and stops it by SIGTERM on its own PID.
"""

from __future__ import annotations

import ctypes
import os
import re
import selectors
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Sequence

__all__ = ["PeerError", "PeerFacts", "PortAllocator", "free_port", "parse_ready", "ManagedPeer",
           "REPO_ROOT", "peer_launcher"]

REPO_ROOT = Path(__file__).resolve().parents[3]

_READY_RE = re.compile(r"^READY (?P<host>[0-9.]+):(?P<port>\d+)(?P<rest>(?: \S+=\S*)*)\s*$")


class PeerError(RuntimeError):
    """A peer did not start, did not become ready, or did not stop.  The message carries the
    launcher's stderr and the tail of the logs in its run directory."""


@dataclass(frozen=True)
class PeerFacts:
    host: str
    port: int
    rsa_fp: Optional[str]
    ed25519_id: Optional[str]
    run_dir: Path
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def addr(self) -> str:
        return f"{self.host}:{self.port}"


def parse_ready(line: str, run_dir: Path) -> PeerFacts:
    """Parse `READY 127.0.0.1:N rsa=HEX ed25519=B64 [k=v ...]` into PeerFacts."""
    m = _READY_RE.match(line.rstrip("\r\n"))
    if not m:
        raise PeerError(f"malformed READY line: {line!r}")
    kv = dict(item.split("=", 1) for item in m.group("rest").split())
    rsa = kv.pop("rsa", None)
    ed = kv.pop("ed25519", None)
    if rsa is not None and not re.fullmatch(r"[0-9A-F]{40}", rsa):
        raise PeerError(f"READY line has a malformed rsa fingerprint: {line!r}")
    return PeerFacts(host=m.group("host"), port=int(m.group("port")), rsa_fp=rsa,
                     ed25519_id=ed, run_dir=Path(run_dir), extra=kv)


class PortAllocator:
    """Free TCP ports on 127.0.0.1: bind port 0, note the port, release it.  A port is never
    handed out twice by one allocator, so peers started by one test session never collide."""

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self._given: set[int] = set()
        self._lock = threading.Lock()

    def allocate(self) -> int:
        with self._lock:
            for _ in range(200):
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                    s.bind((self.host, 0))
                    port = s.getsockname()[1]
                if port not in self._given:
                    self._given.add(port)
                    return port
        raise PeerError("no free loopback port found")


_default_allocator = PortAllocator()


def free_port() -> int:
    """A loopback TCP port nobody listens on and that this process has not handed out before."""
    return _default_allocator.allocate()


def peer_launcher(name: str) -> Path:
    """Path of peers/<name>/run."""
    return REPO_ROOT / "peers" / name / "run"


def _tail_file(path: Path, lines: int) -> list[str]:
    try:
        return path.read_bytes().decode("utf-8", "replace").splitlines()[-lines:]
    except OSError:
        return []


def _child_pdeathsig() -> None:  # runs in the child before exec
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class ManagedPeer:
    """One peer launcher process.

        with ManagedPeer(peer_launcher("tor-relay"), run_dir) as facts:
            ... facts.addr, facts.rsa_fp ...
    """

    LOG_FILES = ("launcher.stderr", "tor.stdout", "notice.log", "info.log")

    def __init__(self, launcher: Path | str, run_dir: Path | str, port: Optional[int] = None,
                 role: str = "responder", ready_timeout: float = 30.0,
                 extra_args: Sequence[str] = (), env: Optional[Mapping[str, str]] = None,
                 allocator: Optional[PortAllocator] = None):
        self.launcher = Path(launcher)
        self.run_dir = Path(run_dir).resolve()
        self.port = port if port is not None else (allocator or _default_allocator).allocate()
        self.role = role
        self.ready_timeout = ready_timeout
        self.extra_args = list(extra_args)
        self.env = dict(env) if env is not None else None
        self.proc: Optional[subprocess.Popen] = None
        self.facts: Optional[PeerFacts] = None
        self.startup_s: Optional[float] = None
        self.stdout_lines: list[str] = []

    # -- lifecycle -----------------------------------------------------------------------------
    def argv(self) -> list[str]:
        return [str(self.launcher), "--run-dir", str(self.run_dir), "--port", str(self.port),
                "--role", self.role, *self.extra_args]

    def start(self) -> PeerFacts:
        if self.proc is not None:
            raise PeerError("peer already started")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        stderr_path = self.run_dir / "launcher.stderr"
        t0 = time.monotonic()
        with open(stderr_path, "ab") as err:
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=err, env=self.env,
                                         preexec_fn=_child_pdeathsig)
        try:
            line = self._wait_ready_line(t0 + self.ready_timeout)
            self.facts = parse_ready(line, self.run_dir)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - t0
        return self.facts

    def _wait_ready_line(self, deadline: float) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        buf = b""
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PeerError(self._failure(
                        f"no READY line within {self.ready_timeout:g} s"))
                if not sel.select(timeout=min(left, 0.5)):
                    continue
                chunk = os.read(fd, 4096)
                if not chunk:
                    rc = self.proc.wait(timeout=5)
                    raise PeerError(self._failure(f"launcher exited with status {rc} before READY"))
                buf += chunk
                while b"\n" in buf:
                    raw, buf = buf.split(b"\n", 1)
                    text = raw.decode("utf-8", "replace")
                    self.stdout_lines.append(text)
                    if text.startswith("READY "):
                        return text

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        """SIGTERM the launcher (its own PID only), wait, SIGKILL after `timeout`.  Returns its
        exit status (None if it was never started)."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        return proc.returncode

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- diagnostics ---------------------------------------------------------------------------
    def log_tail(self, lines: int = 30) -> str:
        out = []
        for name in self.LOG_FILES:
            got = _tail_file(self.run_dir / name, lines)
            if got:
                out.append(f"--- {self.run_dir / name} (last {len(got)} lines) ---")
                out.extend(got)
        return "\n".join(out)

    def _failure(self, what: str) -> str:
        return (f"peer {self.launcher.parent.name} ({' '.join(self.argv())}): {what}\n"
                f"{self.log_tail()}")

    def __enter__(self) -> PeerFacts:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
