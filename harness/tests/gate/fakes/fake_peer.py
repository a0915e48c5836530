#!/usr/bin/python3
"""A stand-in peer launcher (DESIGN.md "Peers" contract) for testing the gate plugin: listens
on 127.0.0.1:PORT, accepts and closes connections, prints READY, stops on SIGTERM, exits 127
for a role other than "responder"."""
import argparse
import os
import signal
import socket
import sys
from pathlib import Path

ap = argparse.ArgumentParser()
ap.add_argument("--run-dir", required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--role", default="responder")
a = ap.parse_args()
if a.role != "responder":
    sys.exit(127)
Path(a.run_dir).mkdir(parents=True, exist_ok=True)
with open(Path(a.run_dir) / "notice.log", "a") as log:  # one line per start: tests count them
    log.write(f"fake peer started, pid {os.getpid()}\n")
(Path(a.run_dir) / "peer.pid").write_text(f"{os.getpid()}\n")
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", a.port))
srv.listen(64)
print(f"READY 127.0.0.1:{a.port}", flush=True)
while True:
    conn, _ = srv.accept()
    conn.close()
