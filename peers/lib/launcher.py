"""The DESIGN.md "Peers" contract, shared by the TLS-family launchers.

    run --run-dir DIR --port N [--role responder] [--timeout S] [peer-specific options]

* exit 2: bad arguments; exit 127: a role this peer cannot play; exit 3: not inside a private
  network namespace whose only interface is `lo` (checked with if_nameindex(3), which sees this
  process's namespace, unlike /sys/class/net after a plain `unshare -n`).
* `prepare(ctx)` writes the configs into DIR and starts the server with `ctx.spawn()`: children
  get PR_SET_PDEATHSIG (they die with the launcher) and are stopped by their own PIDs only.
* `ready(ctx)` is retried until it returns the READY facts (a dict) or the deadline passes; it
  must prove the server usable with a real TLS handshake (peers/lib/probe.py).
* Then exactly one line `READY 127.0.0.1:N key=value ...` on stdout, and the launcher waits.
* SIGTERM/SIGINT: optional `stop(ctx)`, then SIGTERM to each child (SIGKILL after a grace), exit 0.
  A child that exits by itself, or no readiness before the deadline: log tails on stderr, exit 1.
"""

import argparse
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"
EXIT_FAIL, EXIT_USAGE, EXIT_NOT_ISOLATED, EXIT_BAD_ROLE = 1, 2, 3, 127


def private_netns_problem():
    try:
        names = sorted(name for _i, name in socket.if_nameindex())
    except OSError as e:
        return f"cannot list network interfaces: {e}"
    if names != ["lo"]:
        return "not inside a private network namespace (interfaces: " + ", ".join(names) + ")"
    return None


def _pdeathsig():  # in the child, before exec
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Ctx:
    """What prepare/ready/stop get: the arguments, the run directory, the started children."""

    def __init__(self, name, args, here):
        self.name, self.args, self.here = name, args, here
        self.run_dir = Path(args.run_dir).resolve()
        self.port = args.port
        self.procs = []  # (label, Popen)
        self.logs = []   # files whose tails explain a failure
        self.state = {}  # free for the peer's own use

    def msg(self, text):
        print(f"{self.name}: {text}", file=sys.stderr, flush=True)

    def log(self, name):
        p = self.run_dir / name
        if p not in self.logs:
            self.logs.append(p)
        return p

    def spawn(self, label, argv, log, stdin=subprocess.DEVNULL, **kw):
        """Start a long-running child; stdout+stderr appended to DIR/<log>."""
        with open(self.log(log), "ab") as out:
            proc = subprocess.Popen([str(a) for a in argv], stdin=stdin, stdout=out,
                                    stderr=subprocess.STDOUT, cwd=str(self.run_dir),
                                    preexec_fn=_pdeathsig, **kw)
        self.procs.append((label, proc))
        return proc

    def run(self, argv, log, timeout=30, check=True, **kw):
        """A one-shot command (config check, index build); output appended to DIR/<log>."""
        with open(self.log(log), "ab") as out:
            out.write(("$ " + " ".join(str(a) for a in argv) + "\n").encode())
            out.flush()
            res = subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, cwd=str(self.run_dir), timeout=timeout,
                                 **kw)
        if check and res.returncode != 0:
            raise RuntimeError(f"`{' '.join(str(a) for a in argv)}` exited {res.returncode} "
                               f"(see {self.run_dir / log})")
        return res.returncode

    def print_tails(self, lines=20):
        for p in self.logs:
            try:
                got = p.read_bytes().decode("utf-8", "replace").splitlines()[-lines:]
            except OSError:
                continue
            if got:
                print(f"--- last {len(got)} lines of {p} ---", file=sys.stderr)
                print("\n".join(got), file=sys.stderr)
        sys.stderr.flush()


def _stop_children(ctx, grace):
    for label, proc in reversed(ctx.procs):
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
    for label, proc in reversed(ctx.procs):
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            ctx.msg(f"{label} (pid {proc.pid}) ignored SIGTERM for {grace:g} s; SIGKILL")
            proc.kill()
            proc.wait()


def main(name, description, *, prepare, ready, add_args=None, stop=None,
         roles=("responder",), default_timeout=15.0, stop_grace=5.0, argv=None):
    ap = argparse.ArgumentParser(prog="run", description=description)
    ap.add_argument("--run-dir", required=True, help="private directory for config, logs, state")
    ap.add_argument("--port", required=True, type=int, help="TCP port to bind on 127.0.0.1")
    ap.add_argument("--role", default=roles[0], help=f"only {', '.join(roles)}")
    ap.add_argument("--timeout", type=float, default=default_timeout,
                    help=f"seconds to wait for readiness (default {default_timeout:g})")
    if add_args:
        add_args(ap)
    args = ap.parse_args(argv)
    here = Path(sys.argv[0]).resolve().parent
    ctx = Ctx(name, args, here)

    if args.role not in roles:
        ctx.msg(f'role "{args.role}" is not supported: this peer only plays {", ".join(roles)}')
        return EXIT_BAD_ROLE
    if not 1 <= args.port <= 65535:
        ctx.msg(f"--port {args.port}: not a TCP port")
        return EXIT_USAGE
    problem = private_netns_problem()
    if problem:
        ctx.msg(f"refusing to start: {problem}. Run under `unshare -n` (as root) with "
                "`ip link set lo up`; targets must only ever see loopback.")
        return EXIT_NOT_ISOLATED

    stopping = []

    def on_signal(signum, _frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ctx.run_dir.mkdir(parents=True, exist_ok=True)

    def shutdown():
        t0 = time.monotonic()
        if stop is not None:
            try:
                stop(ctx)
            except Exception as e:  # still stop the children below
                ctx.msg(f"stop step failed: {e}")
        _stop_children(ctx, stop_grace)
        ctx.msg(f"stopped in {time.monotonic() - t0:.3f} s")

    started = time.monotonic()
    try:
        prepare(ctx)
    except Exception as e:
        ctx.msg(f"could not start: {e}")
        shutdown()
        ctx.print_tails()
        return EXIT_FAIL

    deadline = started + args.timeout
    facts, last_err = None, None
    while facts is None:
        if stopping:
            shutdown()
            return 0
        for label, proc in ctx.procs:
            if proc.poll() is not None:
                ctx.msg(f"{label} exited with status {proc.returncode} before it was ready"
                        + (f" (last probe error: {last_err})" if last_err else ""))
                shutdown()
                ctx.print_tails()
                return EXIT_FAIL
        if time.monotonic() > deadline:
            ctx.msg(f"not ready within {args.timeout:g} s (last probe error: {last_err})")
            shutdown()
            ctx.print_tails()
            return EXIT_FAIL
        try:
            facts = ready(ctx)
        except Exception as e:  # refused, reset, timeout, TLS error: not ready yet
            last_err = f"{type(e).__name__}: {e}"
        if facts is None:
            time.sleep(0.02)

    kv = " ".join(f"{k}={v}" for k, v in facts.items())
    print(f"READY {HOST}:{args.port} {kv}".rstrip(), flush=True)
    ctx.msg(f"ready in {time.monotonic() - started:.3f} s (pids "
            + ", ".join(f"{label}={p.pid}" for label, p in ctx.procs) + ")")

    while not stopping:
        for label, proc in ctx.procs:
            if proc.poll() is not None:
                ctx.msg(f"{label} exited unexpectedly with status {proc.returncode}")
                shutdown()
                ctx.print_tails()
                return EXIT_FAIL
        time.sleep(0.1)
    shutdown()
    return 0
