"""The DESIGN.md "Peers" contract for real *clients* that connect to the harness (role
"initiator": the harness plays the server, scenario role `responder`).

    run --run-dir DIR --connect 127.0.0.1:PORT [--role initiator] [--max-time S]

The engine starts it once per scenario, right after `listen` (`hsprobe run --peer-cmd`, peer.toml
`per_scenario = "--connect {addr}"`), with stdout and stderr going to DIR/launcher.log, which an
`accept` that times out quotes.  So everything the client prints lands there, preceded by the
exact command line.

* exit 2: bad arguments (the address must be loopback); exit 127: a role other than
  "initiator"; exit 3: not inside a private network namespace whose only interface is `lo`.
* Prints `READY client=NAME pid=N` once the client runs, then waits for it, bounded by
  --max-time plus a grace: a client still running then is killed by its own PID (SIGTERM, then
  SIGKILL).  The launcher exits with the client's status (124 when it had to be killed).
* SIGTERM/SIGINT (the engine ends the scenario, signalling the launcher's process group): the
  client runs in a session of its own, so it gets a moment (STOP_WAIT_S) to finish what it is
  printing before it is stopped by its PID; exit 0.
* `stdin_hold`: a client that reads stdin (gnutls-cli, openssl s_client) gets a pipe that stays
  open that many seconds, then EOF, so it neither quits at once nor waits forever.
"""

import argparse
import ctypes
import ipaddress
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

EXIT_USAGE, EXIT_NOT_ISOLATED, EXIT_BAD_ROLE, EXIT_KILLED = 2, 3, 127, 124
KILL_GRACE_S = 2.0
STOP_WAIT_S = 0.3   # a client ending by itself when the harness stops the scenario


def private_netns_problem():
    try:
        names = sorted(name for _i, name in socket.if_nameindex())
    except OSError as e:
        return f"cannot list network interfaces: {e}"
    if names != ["lo"]:
        return "not inside a private network namespace (interfaces: " + ", ".join(names) + ")"
    return None


def _pdeathsig():  # in the child, before exec: it dies with the launcher
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Ctx:
    """What build(ctx) gets: the parsed arguments and where to put files."""

    def __init__(self, name, args, here):
        self.name, self.args, self.here = name, args, here
        self.run_dir = Path(args.run_dir).resolve()
        self.host, _, port = args.connect.rpartition(":")
        self.port = int(port)
        self.addr = args.connect
        self.max_time = args.max_time


def _stop(proc):
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=KILL_GRACE_S)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main(name, description, build, *, stdin_hold=None, default_max_time=10.0, argv=None):
    """build(ctx) -> the client's argv (and may write files into ctx.run_dir)."""
    here = Path(sys.argv[0]).resolve().parent
    ap = argparse.ArgumentParser(prog="run", description=description)
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--connect", required=True, help="127.0.0.1:PORT where the harness listens")
    ap.add_argument("--role", default="initiator")
    ap.add_argument("--max-time", type=float, default=default_max_time,
                    help="seconds the client may run (default %(default)s)")
    args = ap.parse_args(argv)

    def msg(text):
        print(f"{name}: {text}", flush=True)

    if args.role != "initiator":
        msg(f'role "{args.role}" is not supported: this client only connects (initiator)')
        return EXIT_BAD_ROLE
    host, _, port = args.connect.rpartition(":")
    try:
        if not ipaddress.ip_address(host).is_loopback or not 0 < int(port) < 65536:
            raise ValueError
    except ValueError:
        msg(f"--connect must be a loopback HOST:PORT, got {args.connect!r}")
        return EXIT_USAGE
    if not 0 < args.max_time <= 120:
        msg("--max-time must be in (0, 120] seconds")
        return EXIT_USAGE
    problem = private_netns_problem()
    if problem:
        msg(f"refusing to start the client: {problem}")
        return EXIT_NOT_ISOLATED
    ctx = Ctx(name, args, here)
    ctx.run_dir.mkdir(parents=True, exist_ok=True)
    cmd = [str(a) for a in build(ctx)]
    stopping = []
    proc = None

    def on_signal(_signum, _frame):
        stopping.append(True)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print("$ " + shlex.join(cmd), flush=True)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin_hold else subprocess.DEVNULL,
                            cwd=str(ctx.run_dir), preexec_fn=_pdeathsig,
                            start_new_session=True)
    print(f"READY client={name} pid={proc.pid}", flush=True)
    deadline = t0 + args.max_time + KILL_GRACE_S
    hold_until = t0 + (stdin_hold or 0)
    killed = False
    while proc.poll() is None and not stopping:
        now = time.monotonic()
        if stdin_hold and proc.stdin and now >= hold_until:
            try:
                proc.stdin.close()  # EOF: the client ends its session
            except OSError:
                pass
            proc.stdin = None
        if now >= deadline:
            msg(f"the client still ran after {args.max_time + KILL_GRACE_S:g} s; stopping it")
            _stop(proc)
            killed = True
            break
        time.sleep(0.02)
    stopped_by_us = False
    if stopping and proc.poll() is None:
        try:
            proc.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            _stop(proc)
            stopped_by_us = True
    rc = proc.wait()
    took = time.monotonic() - t0
    if stopped_by_us:
        msg(f"the harness ended the scenario; client stopped after {took:.2f} s")
    else:
        msg(f"client exit status {rc} after {took:.2f} s")
    if stopping:
        return 0
    return EXIT_KILLED if killed else (rc if rc >= 0 else 128 - rc)
