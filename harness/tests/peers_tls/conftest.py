"""`tls_peers` (session): every TLS-family peer directory (peers/*/peer.toml whose protocols are
not tor-link) started through its own launcher, in parallel, each on a free 127.0.0.1 port in
this run's private network namespace (harness/tests/conftest.py re-executes pytest there).

The run directories live in a fresh 0711 directory under /tmp rather than pytest's 0700
basetemp: nnrpd runs as user news and must reach its files.  It is removed at the end.

Yields {peer name: Started(desc, facts, startup_s)}; a peer that failed to start maps to its
error text, so one broken server fails its own tests and not everyone's.  All are stopped (by
their launchers' PIDs) at the end of the session.  One throwaway certificate is made once and
copied into every run directory (launchers keep a cert they find), which saves ~0.2 s of RSA
key generation per peer on a 2-core machine.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from hsprobe import netns
from hsprobe.peerdesc import PeerDescriptor, load_peer
from hsprobe.peers import ManagedPeer, PeerError, PeerFacts
from tls_peer_set import tls_peer_names


@dataclass
class Started:
    desc: PeerDescriptor
    facts: PeerFacts
    startup_s: float


@pytest.fixture(scope="session")
def tls_peers():
    netns.assert_private_netns()
    root = Path(tempfile.mkdtemp(prefix="hsprobe-tls-peers-"))
    root.chmod(0o711)
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "30", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=30)
    managed: dict[str, ManagedPeer] = {}
    for name in tls_peer_names():
        desc = load_peer(name)
        run_dir = root / name
        run_dir.mkdir()
        shutil.copy(cert, run_dir / "cert.pem")
        shutil.copy(key, run_dir / "key.pem")
        (run_dir / "key.pem").chmod(0o600)
        managed[name] = ManagedPeer(desc.launcher, run_dir, role=desc.serves["initiator"],
                                    ready_timeout=desc.ready_timeout_s)

    def start(name):
        try:
            facts = managed[name].start()
            return name, Started(load_peer(name), facts, managed[name].startup_s)
        except PeerError as e:
            return name, f"could not start peer {name}:\n{e}"

    # The pool lives until teardown: launchers get PR_SET_PDEATHSIG, which fires when the
    # *thread* that forked them exits, so the threads that started them must outlive the tests.
    pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="tls-peer")
    try:
        started = dict(pool.map(start, managed))
        yield started
    finally:
        list(pool.map(lambda p: p.stop(timeout=8), managed.values()))
        pool.shutdown()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def peer(tls_peers, request):
    """The Started peer named by the test's `peer_name` parameter; fails if it did not start."""
    got = tls_peers[request.param]
    if isinstance(got, str):
        pytest.fail(got, pytrace=False)
    return got
