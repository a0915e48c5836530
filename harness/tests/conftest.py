"""pytest setup for hsprobe.

* The whole pytest run re-executes itself inside a private network namespace that has only `lo`
  (`unshare -n`, needs root) before any test is collected: targets started by fixtures can then
  reach nothing but loopback (DESIGN.md "Safety").
* `tor_relay` (session): a tor relay from peers/tor-relay/run on a free 127.0.0.1 port; yields its
  READY facts (hsprobe.peers.PeerFacts).
* `hsprobe_bin`: the engine binary, $HSPROBE_BIN or build/hsprobe (absolute).
* `run_hsprobe(args, timeout)`: runs it (behind $HSPROBE_WRAP, e.g. valgrind, when set) and returns
  (rc, stdout, stderr, json) — json is the parsed object when --json was passed, else None.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
import warnings
from pathlib import Path

import pytest

from hsprobe import netns
from hsprobe.pytest_netns import enter_private_netns
from hsprobe.peers import ManagedPeer, PeerError, PortAllocator, peer_launcher

REPO_ROOT = Path(__file__).resolve().parents[2]
EXIT_CODES = {0, 1, 2, 3, 4}


# ----------------------------------------------------------------------------------------------
# Private network namespace for the whole run.
@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    enter_private_netns(config)  # re-execs under `unshare -n` unless already inside one


# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def port_allocator() -> PortAllocator:
    from hsprobe.peers import _default_allocator
    return _default_allocator


@pytest.fixture(scope="session")
def tor_relay(tmp_path_factory):
    """A tor relay (ORPort responder) on 127.0.0.1 for the whole session; yields PeerFacts."""
    netns.assert_private_netns()
    run_dir = tmp_path_factory.mktemp("tor-relay")
    peer = ManagedPeer(peer_launcher("tor-relay"), run_dir, ready_timeout=30.0)
    try:
        facts = peer.start()
    except PeerError as e:
        pytest.fail(f"could not start the tor-relay peer:\n{e}", pytrace=False)
    try:
        yield facts
    finally:
        rc = peer.stop()
        if rc != 0:
            warnings.warn(f"tor-relay peer exited with status {rc} at teardown\n"
                          f"{peer.log_tail(15)}")


# ----------------------------------------------------------------------------------------------
def _hsprobe_path() -> Path:
    p = Path(os.environ.get("HSPROBE_BIN") or "build/hsprobe")
    if not p.is_absolute():
        p = REPO_ROOT / p
    return p


@pytest.fixture(scope="session")
def hsprobe_bin() -> Path:
    p = _hsprobe_path()
    if not (p.is_file() and os.access(p, os.X_OK)):
        pytest.fail(f"engine binary {p} not found or not executable (build it with `make build`, "
                    "or point HSPROBE_BIN at it)", pytrace=False)
    return p


def hsprobe_wrap() -> list[str]:
    return shlex.split(os.environ.get("HSPROBE_WRAP", ""))


@pytest.fixture(scope="session")
def slow_factor() -> float:
    """Multiplier for wall-clock limits when the engine runs under a wrapper (valgrind)."""
    return 20.0 if hsprobe_wrap() else 1.0


class HsprobeRun(tuple):
    """(rc, stdout, stderr, json) plus .elapsed (seconds) and .argv."""

    def __new__(cls, rc, stdout, stderr, obj, elapsed, argv):
        self = super().__new__(cls, (rc, stdout, stderr, obj))
        self.elapsed = elapsed
        self.argv = argv
        return self

    rc = property(lambda self: self[0])
    stdout = property(lambda self: self[1])
    stderr = property(lambda self: self[2])
    json = property(lambda self: self[3])

    def describe(self) -> str:
        return (f"$ {shlex.join(self.argv)}\nexit {self.rc} after {self.elapsed:.3f} s\n"
                f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}")


@pytest.fixture
def run_hsprobe(hsprobe_bin, slow_factor):
    """run_hsprobe(args, timeout=15.0) -> HsprobeRun (rc, stdout, stderr, json).

    Fails the test if the engine crashes (signal, sanitizer report), uses an exit code outside
    the contract (0-4), runs past `timeout` (scaled under HSPROBE_WRAP), or, with --json and any
    exit but 2 (usage), does not print exactly one JSON object whose exit_code equals its exit
    status."""

    def run(args, timeout: float = 15.0, check: bool = True) -> HsprobeRun:
        argv = [*hsprobe_wrap(), str(hsprobe_bin), *[str(a) for a in args]]
        t0 = time.monotonic()
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=timeout * slow_factor)
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode("utf-8", "replace")
            err = (e.stderr or b"").decode("utf-8", "replace")
            pytest.fail(f"$ {shlex.join(argv)}\ndid not finish within {timeout * slow_factor:g} s"
                        f"\n--- stdout ---\n{out}\n--- stderr ---\n{err}", pytrace=False)
        elapsed = time.monotonic() - t0
        out = proc.stdout.decode("utf-8", "replace")
        err = proc.stderr.decode("utf-8", "replace")
        res = HsprobeRun(proc.returncode, out, err, None, elapsed, argv)
        if not check:
            return res
        if proc.returncode < 0:
            pytest.fail(f"engine killed by signal {-proc.returncode}\n{res.describe()}",
                        pytrace=False)
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:", "==ERROR"):
            if marker in err:
                pytest.fail(f"sanitizer report ({marker!r}) on stderr\n{res.describe()}",
                            pytrace=False)
        if proc.returncode not in EXIT_CODES:
            pytest.fail(f"exit code {proc.returncode} is outside the contract (0-4)\n"
                        f"{res.describe()}", pytrace=False)
        obj = None
        if "--json" in res.argv and proc.returncode != 2:  # usage errors print no report
            try:
                obj = json.loads(out)
            except ValueError as e:
                pytest.fail(f"--json output is not one JSON object ({e})\n{res.describe()}",
                            pytrace=False)
            if not isinstance(obj, dict):
                pytest.fail(f"--json output is not a JSON object\n{res.describe()}",
                            pytrace=False)
            if obj.get("exit_code") != proc.returncode:
                pytest.fail(f"JSON exit_code {obj.get('exit_code')!r} != process exit status "
                            f"{proc.returncode}\n{res.describe()}", pytrace=False)
        return HsprobeRun(proc.returncode, out, err, obj, elapsed, argv)

    return run
