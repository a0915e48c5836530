"""One peer's batch: start the peer once, run every scenario it serves in ONE `hsprobe run`,
stop it, and hand back what each scenario produced.

One engine process for the whole batch (the engine runs scenarios concurrently with --jobs) is
what keeps the suite fast; starting tor once per scenario would cost more than the scenarios.
The results file is written by the engine alone, appended and flushed per scenario, so whatever
happens here (engine crash, timeout, Ctrl-C) the lines already written stay on disk.
"""

from __future__ import annotations

import shlex
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from hsprobe import netns
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
              seed: Optional[int] = None, extra_args: Sequence[str] = ()) -> BatchOutcome:
    """Start `desc` in `launcher_role`, run `files` against it, stop it.  Never raises for
    anything the target or engine does: failures end up in the returned BatchOutcome."""
    results = report_dir / "results.jsonl"
    out = BatchOutcome(peer=desc.name, launcher_role=launcher_role, ids=list(ids),
                       results_path=results)
    netns.assert_private_netns()  # a target must never start where it can reach the network
    report_dir.mkdir(parents=True, exist_ok=True)
    run_dir = report_dir / "peers" / f"{desc.name}-{launcher_role}"
    out.first_line = count_lines(results) + 1
    out.last_line = out.first_line - 1
    peer = ManagedPeer(desc.launcher, run_dir, role=launcher_role,
                       ready_timeout=desc.ready_timeout_s)
    t0 = time.monotonic()
    try:
        try:
            facts = peer.start()
        except PeerError as e:
            out.start_error = f"could not start the {desc.name} peer: {e}"
            return out
        out.peer_startup_s = peer.startup_s
        out.target = facts.addr
        out.engine_stderr = report_dir / f"engine-{desc.name}-{launcher_role}.stderr"
        out.argv = [*engine_wrap(), str(engine_path()), "run", *map(str, files),
                    "--target", facts.addr, "--results", str(results),
                    "--keylog", str(report_dir / "tls-keys.log"), "--jobs", str(jobs),
                    *(["--seed", str(seed)] if seed is not None else []), *extra_args]
        with open(out.engine_stderr, "wb") as err:
            try:
                proc = subprocess.Popen(out.argv, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=err)
            except OSError as e:
                out.start_error = f"could not start the engine: {e}"
                return out
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
        # The launcher may not have noticed yet that its target died (it polls), so a port that
        # refuses connections counts as dead too.
        if not peer.alive() or not _answers(facts.host, facts.port):
            out.peer_died = True
    finally:
        rc = peer.stop()
        if out.peer_died:
            out.peer_rc = rc
            out.peer_log_tail = peer.log_tail(20)
        out.elapsed_s = time.monotonic() - t0
        _collect(out)
    return out


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
