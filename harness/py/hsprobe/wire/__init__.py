"""Wire truth: every batch is captured, decrypted and held against the engine's claims.

Modules, one job each:

    pcap        classic pcap read/write, frames decoded to TCP segments
    pcapng      pcapng writer with the TLS key log embedded (Decryption Secrets Block)
    capture     one tcpdump per batch on lo, drop count, flush confirmed by a sentinel SYN
    tcp         TCP connections and per-direction reassembly with gap detection
    tshark      the single tshark pass per capture (decrypted data + TLS handshake facts)
    keylog      NSS key log parsing, indexed by client random
    wireconn    the capture demultiplexed: handshakes and plaintext per connection
    cells       an independent Tor cell framer (widths, partial cells, garbage)
    torcerts    CERTS bodies, Ed25519 certs, RSA identity digests
    tlsexport   TLS 1.2 / 1.3 exporters from key-log secrets
    authcheck   AUTHENTICATE type 3 recomputed from the wire
    transcript  engine transcript vs wire, diffs
    scencheck   all checks of one scenario result
    runcheck    one capture's checks, pcapngs, results.jsonl rewrite, wire.json
    cli         `hsprobe-wire RUNDIR` / `python3 -m hsprobe.wire RUNDIR`

`check_batch` is what hsprobe.batch calls after each batch; `jobs_for_run_dir` finds the
captures of a saved run for the CLI.

Both roles are handled.  Initiator scenarios (the engine connects to the target): capture
`Capture(path, target_port)`, check with port=target_port; connections are found by the engine's
source port.  Responder scenarios (the target connects to the engine, a fresh listening port per
scenario): capture `Capture(path, None)` (all TCP on lo), check with port=None; connections are
found by the engine's listening port (local_port) and "sent" is then the server-to-client side.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

from hsprobe.wire.capture import Capture, CaptureStats
from hsprobe.wire.runcheck import (KEYLOG_NAME, WIRE_JSON, CaptureJob, CaptureOutcome,
                                   check_capture, internal_failure, load_wire_json,
                                   record_outcome, rewrite_results)

__all__ = ["Capture", "CaptureStats", "CaptureJob", "CaptureOutcome", "check_batch",
           "run_job", "jobs_for_run_dir", "capture_name", "KEYLOG_NAME", "WIRE_JSON"]


def capture_name(peer: str, launcher_role: str) -> str:
    return f"capture-{peer}-{launcher_role}.pcap"


def _taken(run_dir: Path, capture: Path) -> set[str]:
    names: set[str] = set()
    for c in load_wire_json(run_dir)["captures"]:
        if Path(run_dir, c["capture"]).resolve() != Path(capture).resolve():
            names.update(c.get("pcapngs", {}).values())
    return names


def run_job(run_dir: Path, job: CaptureJob, write: bool = True) -> CaptureOutcome:
    """Check one capture; with write, also rewrite results.jsonl, the pcapngs and wire.json."""
    try:
        out = check_capture(run_dir, job, _taken(run_dir, job.capture), write_pcapngs=write)
    except Exception as e:  # noqa: BLE001 - a checker bug must become an error, not a pass
        out = internal_failure(job, run_dir, e)
    if write:
        t0 = time.monotonic()
        if out.by_line:
            rewrite_results(run_dir / "results.jsonl", out.by_line)
        out.seconds["rewrite"] = time.monotonic() - t0
        record_outcome(run_dir, out)
    return out


def check_batch(report_dir: Path, stats: Optional[CaptureStats], capture: Path,
                port: Optional[int],
                host: Optional[str], first_line: int, last_line: int, peer: str,
                launcher_role: str) -> CaptureOutcome:
    job = CaptureJob(Path(capture).resolve(), port, host, Path(report_dir) / KEYLOG_NAME,
                     first_line, last_line, peer, launcher_role, stats)
    return run_job(Path(report_dir), job, write=True)


def jobs_for_run_dir(run_dir: Path) -> list[CaptureJob]:
    """The captures of a saved run: from wire.json, else from run.json's batch records."""
    run_dir = Path(run_dir)
    jobs: list[CaptureJob] = []
    for c in load_wire_json(run_dir)["captures"]:
        stats = CaptureStats.from_dict(c["tcpdump"]) if c.get("tcpdump") else None
        if stats is not None:
            stats.stop_s = 0.0   # an offline re-check does not stop a capture
        jobs.append(CaptureJob((run_dir / c["capture"]).resolve(), c["port"], c.get("host"),
                               run_dir / c.get("keylog", KEYLOG_NAME), c["first_line"],
                               c["last_line"], c.get("peer", ""), c.get("launcher_role", ""),
                               stats))
    if jobs:
        return jobs
    import json
    try:
        manifest = json.loads((run_dir / "run.json").read_text())
    except (OSError, ValueError):
        return []
    for name, p in (manifest.get("peers") or {}).items():
        for b in p.get("batches") or []:
            cap = b.get("capture")
            if not cap:
                continue
            host, _, port = (b.get("target") or ":").rpartition(":")
            stats = CaptureStats.from_dict(cap) if isinstance(cap, dict) else None
            path = cap["path"] if isinstance(cap, dict) else cap
            if stats is not None:
                stats.stop_s = 0.0
            jobs.append(CaptureJob((run_dir / path).resolve(), int(port) if port else None,
                                   host or None,
                                   run_dir / KEYLOG_NAME, b["first_line"], b["last_line"], name,
                                   b.get("launcher_role", ""), stats))
    return jobs
