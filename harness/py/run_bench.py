#!/usr/bin/python3
"""`make bench`: build/bench_handshake against a local tor relay in a private netns.

Prints the median and p95 of N full handshakes (TLS + link handshake + CREATE_FAST) for TLS 1.2
and 1.3, and the engine's peak RSS.  A benchmark: it prints figures, it asserts no timing.
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hsprobe import netns  # noqa: E402
from hsprobe.peers import ManagedPeer, peer_launcher  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def main() -> int:
    netns.reexec_in_private_netns([sys.executable, *sys.argv])
    netns.assert_private_netns()
    n = os.environ.get("BENCH_N", "50")
    bench = REPO / "build" / "bench_handshake"
    with tempfile.TemporaryDirectory(prefix="hsprobe-bench-") as d:
        with ManagedPeer(peer_launcher("tor-relay"), Path(d) / "relay") as relay:
            print(f"tor relay at {relay.addr}; {n} handshakes per TLS version")
            return subprocess.run([str(bench), relay.addr, n]).returncode


if __name__ == "__main__":
    sys.exit(main())
