"""One peer's batch: start the peer once, run every scenario it serves in ONE `hsprobe run`,
stop it, and hand back what each scenario produced.

One engine process for the whole batch (the engine runs scenarios concurrently with --jobs) is
what keeps the suite fast; starting tor once per scenario would cost more than the scenarios.
The results file is written by the engine alone, appended and flushed per scenario, so whatever
happens here (engine crash, timeout, Ctrl-C) the lines already written stay on disk.

Wire truth (hsprobe.wire): the batch is captured by ONE tcpdump on lo (port of the target),
started after the peer is ready and before the engine, stopped after the engine.  Right after
the batch, before anything reads its results, the capture is decrypted (one tshark pass) and
every result line of the batch is checked against it; results.jsonl is rewritten atomically with
each line's "wire" object (a wire error turns the verdict into "error").
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from hsprobe import netns
from hsprobe import wire as wirecheck
from hsprobe.peerdesc import PeerDescriptor
from hsprobe.peers import ManagedPeer, PeerError
from hsprobe.results import ResultLine, count_lines, read_results
from hsprobe.scenarios import engine_path, engine_wrap

__all__ = ["BatchOutcome", "run_batch", "ENGINE_EXIT"]

ENGINE_EXIT = {0: "all pass/unsupported", 1: "some scenarios failed", 2: "usage or parse error",
               3: "target unreachable", 4: "harness error"}


@dataclass
class BatchOutcome:
    peer: str
    launcher_role: str
    ids: list[str]
    results_path: Path
    first_line: int = 0              # the batch's lines in results_path (1-based, inclusive)
    last_line: int = 0
    target: Optional[str] = None
    argv: list[str] = field(default_factory=list)
    engine_rc: Optional[int] = None
    engine_stderr: Optional[Path] = None
    timed_out: bool = False
    start_error: Optional[str] = None    # the peer (or the engine) could not be started
    peer_died: bool = False              # the peer exited by itself before we stopped it
    peer_rc: Optional[int] = None
    peer_log_tail: str = ""
    peer_startup_s: Optional[float] = None
    elapsed_s: float = 0.0
    by_id: dict[str, ResultLine] = field(default_factory=dict)
    stray: list[ResultLine] = field(default_factory=list)  # lines naming no scenario of ours
    wire_enabled: bool = True
    capture: Optional[dict] = None       # tcpdump facts (CaptureStats.as_dict, path relative)
    wire: Optional[dict] = None          # the wire check's summary: counts, seconds, errors

    def engine_stderr_tail(self, lines: int = 15) -> str:
        if not self.engine_stderr:
            return ""
        try:
            text = self.engine_stderr.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])

    def describe_engine(self) -> str:
        """Why a scenario of this batch may have no usable result: the engine's and the peer's
        side of the story."""
        parts = []
        if self.start_error:
            parts.append(self.start_error)
        if self.timed_out:
            parts.append("the engine did not finish in time and was killed")
        if self.engine_rc is not None:
            what = ENGINE_EXIT.get(self.engine_rc, "crashed" if self.engine_rc < 0 else "?")
            if self.engine_rc < 0:
                what = f"killed by signal {-self.engine_rc}"
            parts.append(f"engine exit {self.engine_rc} ({what}): $ {shlex.join(self.argv)}")
        tail = self.engine_stderr_tail()
        if tail:
            parts.append(f"--- engine stderr (last lines; {self.engine_stderr}) ---\n{tail}")
        if self.peer_died:
            parts.append(self.describe_peer_death())
        return "\n".join(parts)

    def describe_peer_death(self) -> str:
        return (f"the {self.peer} peer stopped answering during the batch (launcher exit "
                f"status {self.peer_rc})\n{self.peer_log_tail}")


def run_batch(desc: PeerDescriptor, launcher_role: str, files: Sequence[Path],
              ids: Sequence[str], report_dir: Path, jobs: int, timeout_s: float,
              seed: Optional[int] = None, extra_args: Sequence[str] = (),
              wire: bool = True) -> BatchOutcome:
    """Start `desc` in `launcher_role`, run `files` against it (captured, unless wire=False),
    stop it, check the batch's results against the capture.  Never raises for anything the
    target or engine does: failures end up in the returned BatchOutcome."""
    results = report_dir / "results.jsonl"
    out = BatchOutcome(peer=desc.name, launcher_role=launcher_role, ids=list(ids),
                       results_path=results, wire_enabled=wire)
    netns.assert_private_netns()  # a target must never start where it can reach the network
    if desc.max_jobs:
        jobs = min(jobs, desc.max_jobs)  # a server that serves one connection at a time
    report_dir.mkdir(parents=True, exist_ok=True)
    run_dir = report_dir / "peers" / f"{desc.name}-{launcher_role}"
    out.first_line = count_lines(results) + 1
    out.last_line = out.first_line - 1
    if desc.per_scenario is not None:
        return _run_per_scenario(desc, launcher_role, files, out, report_dir, run_dir, jobs,
                                 timeout_s, seed, extra_args, wire)
    report_run_dir = run_dir
    run_dir = _searchable_run_dir(run_dir, desc.name)
    peer = ManagedPeer(desc.launcher, run_dir, role=launcher_role,
                       ready_timeout=desc.ready_timeout_s)
    t0 = time.monotonic()
    cap: Optional[wirecheck.Capture] = None
    finished = False
    try:
        try:
            facts = peer.start()
        except PeerError as e:
            out.start_error = f"could not start the {desc.name} peer: {e}"
            finished = True
            return out
        out.peer_startup_s = peer.startup_s
        out.target = facts.addr
        # When the target also connects to the harness (a relay we make extend to us), its
        # connections go to the engine's listening ports: capture all TCP on lo, which inside
        # the private namespace is this batch's traffic.
        port = facts.port if desc.serves.get("initiator") == launcher_role else None
        mitm_args: list[str] = []
        if desc.mitm_client and desc.serves.get("mitm") == launcher_role:
            # The server end of MITM scenarios: the engine also starts the client end per
            # scenario, pinned (by default) to this target's fingerprint; both legs are on lo.
            port = None
            mitm_args = _mitm_client_args(desc, facts, run_dir)
        if wire:
            cap = wirecheck.Capture(report_dir / wirecheck.capture_name(desc.name, launcher_role),
                                    port)
            cap.start()  # a failure is recorded in cap.stats and errors every check later
        out.engine_stderr = report_dir / f"engine-{desc.name}-{launcher_role}.stderr"
        out.argv = [*engine_wrap(), str(engine_path()), "run", *map(str, files),
                    "--target", facts.addr, "--results", str(results),
                    "--keylog", str(report_dir / "tls-keys.log"), "--jobs", str(jobs),
                    *(["--seed", str(seed)] if seed is not None else []), *mitm_args,
                    *extra_args]
        if not _run_engine(out, timeout_s):
            finished = True
            return out
        # The launcher may not have noticed yet that its target died (it polls), so a port that
        # refuses connections counts as dead too.
        if not peer.alive() or not _answers(facts.host, facts.port):
            out.peer_died = True
        finished = True
    finally:
        stats = cap.stop() if cap is not None else None
        rc = peer.stop()
        if out.peer_died:
            out.peer_rc = rc
            out.peer_log_tail = peer.log_tail(20)
        _keep_run_dir(run_dir, report_run_dir)
        out.elapsed_s = time.monotonic() - t0 - (stats.stop_s if stats else 0.0)
        if stats is not None:
            out.capture = {**stats.as_dict(), "path": Path(stats.path).name}
            if finished:
                try:
                    _wire_check(out, report_dir, stats, facts.host if port else None, port)
                except Exception as e:  # noqa: BLE001 - unchecked lines then fail as errors
                    out.wire = {"internal_error": f"{type(e).__name__}: {e}"}
        _collect(out)
    return out


def _searchable(path: Path) -> bool:
    """Every existing directory above `path` can be entered by any user."""
    for p in path.resolve().parents:
        if p.exists() and not (p.stat().st_mode & stat.S_IXOTH):
            return False
    return True


def _searchable_run_dir(wanted: Path, name: str) -> Path:
    """Where the peer runs.  Servers that drop privileges (postfix, INN's news user) must reach
    their run directory; a report under a 0700 directory (a clone in /root) does not let them,
    so they run in a fresh 0711 directory under /tmp, reachable from the report by a symlink
    while they run, and their files are copied into the report when they stop
    (_keep_run_dir)."""
    if _searchable(wanted):
        return wanted
    d = Path(tempfile.mkdtemp(prefix=f"hsprobe-peer-{name}-", dir="/tmp"))
    d.chmod(0o711)
    wanted.parent.mkdir(parents=True, exist_ok=True)
    wanted.symlink_to(d, target_is_directory=True)
    return d


def _keep_run_dir(used: Path, wanted: Path) -> None:
    """Copies the regular files of a run directory that lived outside the report into it (the
    peer's logs and configuration are evidence), then removes it.  Sockets, FIFOs and other
    special files a daemon leaves behind are not copied."""
    if used == wanted:
        return
    if wanted.is_symlink():
        wanted.unlink()
    try:
        for root, _dirs, names in os.walk(used):
            dst = wanted / Path(root).relative_to(used)
            dst.mkdir(parents=True, exist_ok=True)
            for n in names:
                src = Path(root) / n
                if src.is_file() and not src.is_symlink():
                    shutil.copy2(src, dst / n)
    finally:
        shutil.rmtree(used, ignore_errors=True)


def _mitm_client_args(desc: PeerDescriptor, facts, run_dir: Path) -> list[str]:
    """`hsprobe run` options for a MITM batch: the client end's command (a fresh instance per
    scenario, its directories under the server end's run directory) and the server end's RSA
    fingerprint, which `{fp}` gives it under `listen pin=target`."""
    from hsprobe.peerdesc import load_peer
    client = load_peer(desc.mitm_client, desc.dir.parent)
    clients = run_dir / "clients"
    clients.mkdir(parents=True, exist_ok=True)
    args = ["--peer-cmd", client.peer_cmd("initiator"), "--peer-dir", str(clients)]
    if facts.rsa_fp:
        args += ["--target-fp", facts.rsa_fp]
    return args


def _run_engine(out: BatchOutcome, timeout_s: float) -> bool:
    """Runs out.argv with stderr to out.engine_stderr; False if it could not start."""
    with open(out.engine_stderr, "wb") as err:
        try:
            proc = subprocess.Popen(out.argv, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err)
        except OSError as e:
            out.start_error = f"could not start the engine: {e}"
            return False
        try:
            out.engine_rc = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            out.timed_out = True
            proc.kill()  # our own child, by PID
            out.engine_rc = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
    return True


def _run_per_scenario(desc: PeerDescriptor, launcher_role: str, files: Sequence[Path],
                      out: BatchOutcome, report_dir: Path, run_dir: Path, jobs: int,
                      timeout_s: float, seed: Optional[int], extra_args: Sequence[str],
                      wire: bool) -> BatchOutcome:
    """A peer that connects to the harness: the engine listens on a fresh loopback port per
    scenario and starts the peer itself (--peer-cmd), one fresh instance per scenario, so the
    capture cannot be filtered to one port: it takes all TCP on lo (which, inside the private
    namespace, is this batch's traffic) and the checker finds connections by the engine's
    listening ports."""
    run_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    cap: Optional[wirecheck.Capture] = None
    stats = None
    try:
        if wire:
            cap = wirecheck.Capture(report_dir / wirecheck.capture_name(desc.name, launcher_role),
                                    None)
            cap.start()
        out.target = f"{desc.name} started per scenario by the engine"
        out.engine_stderr = report_dir / f"engine-{desc.name}-{launcher_role}.stderr"
        out.argv = [*engine_wrap(), str(engine_path()), "run", *map(str, files),
                    "--peer-cmd", desc.peer_cmd(launcher_role), "--peer-dir", str(run_dir),
                    "--results", str(out.results_path),
                    "--keylog", str(report_dir / "tls-keys.log"), "--jobs", str(jobs),
                    *(["--seed", str(seed)] if seed is not None else []), *extra_args]
        finished = _run_engine(out, timeout_s)
    finally:
        stats = cap.stop() if cap is not None else None
        out.elapsed_s = time.monotonic() - t0 - (stats.stop_s if stats else 0.0)
    if stats is not None:
        out.capture = {**stats.as_dict(), "path": Path(stats.path).name}
        if finished:
            try:
                _wire_check(out, report_dir, stats, None, None)
            except Exception as e:  # noqa: BLE001 - unchecked lines then fail as errors
                out.wire = {"internal_error": f"{type(e).__name__}: {e}"}
    _collect(out)
    return out


def _wire_check(out: BatchOutcome, report_dir: Path, stats, host: Optional[str],
                port: Optional[int]) -> None:
    """Check the batch's result lines against its capture and rewrite them in place."""
    last = count_lines(out.results_path)
    t0 = time.monotonic()
    res = wirecheck.check_batch(report_dir, stats, report_dir / Path(stats.path).name, port,
                                host, out.first_line, last, out.peer, out.launcher_role)
    statuses = [res.status(n) for n in res.checks]
    out.wire = {"checked": len(statuses), "ok": statuses.count("ok"),
                "error": len(statuses) - statuses.count("ok"),
                "batch_errors": res.batch_errors, "internal_error": res.internal_error,
                "seconds": {k: round(v, 4) for k, v in res.seconds.items()},
                "added_s": round(stats.stop_s + time.monotonic() - t0, 4)}


def _answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


def _collect(out: BatchOutcome) -> None:
    """Attribute the batch's new result lines to scenario ids."""
    lines = read_results(out.results_path, first_line=out.first_line)
    if lines:
        out.last_line = lines[-1].lineno
    wanted = set(out.ids)
    for line in lines:
        sid = line.id
        if sid in wanted and sid not in out.by_id:
            out.by_id[sid] = line
        else:
            if sid in out.by_id:
                line.errors.append(f"second result line for {sid} (first at line "
                                   f"{out.by_id[sid].lineno})")
            out.stray.append(line)
