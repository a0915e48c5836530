"""Record one engine run under a capture, without the gate: `hsprobe run FILES --target T`
between a tcpdump start and stop, into a directory laid out like a run directory
(results.jsonl, tls-keys.log, capture.pcap).  Tests and manual experiments use it; the gate
uses hsprobe.batch.  Refuses to run outside a private network namespace.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from hsprobe import netns
from hsprobe.wire.capture import Capture
from hsprobe.wire.runcheck import KEYLOG_NAME, CaptureJob

__all__ = ["Recording", "record_run"]


@dataclass
class Recording:
    run_dir: Path
    job: CaptureJob
    engine_rc: int
    engine_stderr: str
    lines: int

    def job_for(self, run_dir: Path) -> CaptureJob:
        """The same job for a copy of the run directory."""
        j = self.job
        return CaptureJob(Path(run_dir) / j.capture.name, j.port, j.host,
                          Path(run_dir) / j.keylog.name, j.first_line, j.last_line, j.peer,
                          j.launcher_role, j.stats)


def record_run(engine: Path, files: Sequence[Path], host: Optional[str], port: Optional[int],
               run_dir: Path, jobs: int = 4, seed: Optional[int] = None, timeout: float = 120.0,
               wrap: Sequence[str] = (), extra: Sequence[str] = ()) -> Recording:
    """host/port: the target (initiator scenarios).  For responder scenarios pass None, None
    and the engine's --peer-cmd/--peer-dir in `extra`: every TCP packet on lo is captured."""
    netns.assert_private_netns()
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    cap = Capture(run_dir / "capture.pcap", port)
    if not cap.start():
        raise RuntimeError(f"capture did not start: {cap.stats.error}")
    target = ["--target", f"{host}:{port}"] if port else []
    try:
        proc = subprocess.run([*wrap, str(engine), "run", *map(str, files), *target,
                               "--results", str(run_dir / "results.jsonl"),
                               "--keylog", str(run_dir / KEYLOG_NAME), "--jobs", str(jobs),
                               "--quiet", *(["--seed", str(seed)] if seed is not None else []),
                               *extra],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    finally:
        stats = cap.stop()
    n = len((run_dir / "results.jsonl").read_bytes().splitlines()) \
        if (run_dir / "results.jsonl").exists() else 0
    job = CaptureJob((run_dir / "capture.pcap").resolve(), port, host, run_dir / KEYLOG_NAME, 1,
                     n, "recorded", "responder" if port else "initiator", stats)
    return Recording(run_dir, job, proc.returncode, proc.stderr.decode("utf-8", "replace"), n)
