"""The wire check of one batch (one capture) and of a whole run directory.

For a capture: read it with our pcap reader, run tshark ONCE over it, demultiplex into TCP
connections, check every result line of the batch (hsprobe.wire.scencheck), write one pcapng
per scenario (only its connections, with its key-log lines embedded), and rewrite
results.jsonl atomically with each line's verdict/message/wire updated.  The seconds spent per
phase and the per-scenario status go to <run>/wire.json.

Each checked line gets "engine_verdict" (what the engine concluded) and "wire".  A wire error
makes the verdict "error" and prepends "wire check: <first failed check> — engine said <v>:" to
the message (the engine's message is kept in wire.engine_message); a line the engine already
gave verdict error keeps its message, its wire object still says what failed.

Rewriting is idempotent: a line that already carries a wire object is restored to what the
engine wrote (engine_verdict, wire.engine_message) before it is checked again.
"""

from __future__ import annotations

import json
import os
import re
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from hsprobe.results import parse_line
from hsprobe.wire.capture import CaptureStats
from hsprobe.wire.keylog import KeyLog, read_keylog
from hsprobe.wire.pcap import Pcap, PcapError, read_pcap
from hsprobe.wire.pcapng import write_pcapng
from hsprobe.wire.scencheck import ScenarioCheck, check_scenario, engine_is_client
from hsprobe.wire.tshark import TsharkError, run_tshark
from hsprobe.wire.wireconn import CaptureView, build_view

__all__ = ["WIRE_JSON", "WIRE_SCHEMA", "CaptureJob", "CaptureOutcome", "check_capture",
           "original_result", "apply_wire", "rewrite_results", "load_wire_json",
           "record_outcome", "pcapng_name"]

WIRE_JSON = "wire.json"
WIRE_SCHEMA = "hsprobe.wire/1"
KEYLOG_NAME = "tls-keys.log"


@dataclass
class CaptureJob:
    capture: Path            # absolute
    port: Optional[int]      # the target's port; None when the target connected to the engine
    host: Optional[str]
    keylog: Path
    first_line: int
    last_line: int
    peer: str = ""
    launcher_role: str = ""
    stats: Optional[CaptureStats] = None


@dataclass
class CaptureOutcome:
    job: CaptureJob
    by_line: dict[int, dict] = field(default_factory=dict)     # lineno -> new result object
    checks: dict[int, ScenarioCheck] = field(default_factory=dict)
    ids: dict[int, str] = field(default_factory=dict)
    pcapngs: dict[str, str] = field(default_factory=dict)      # scenario id -> relative path
    seconds: dict[str, float] = field(default_factory=dict)
    batch_errors: list[str] = field(default_factory=list)
    internal_error: Optional[str] = None

    def status(self, lineno: int) -> str:
        return self.checks[lineno].status if lineno in self.checks else "error"


def original_result(obj: dict) -> dict:
    """The result line as the engine wrote it (undo an earlier wire check)."""
    o = dict(obj)
    wire = o.pop("wire", None)
    ev = o.pop("engine_verdict", None)
    if ev is not None:
        o["verdict"] = ev
    if isinstance(wire, dict) and "engine_message" in wire:
        o["message"] = wire["engine_message"]
    return o


def _summary(sc: ScenarioCheck) -> str:
    errs = sc.errors
    first = errs[0]
    detail = first["detail"].splitlines()[0]
    more = f" (+{len(errs) - 1} more)" if len(errs) > 1 else ""
    return f"{first['name']}: {detail}{more}"


def apply_wire(obj: dict, sc: ScenarioCheck, pcapng: Optional[str], capture: str) -> dict:
    o = original_result(obj)
    o["engine_verdict"] = o["verdict"]
    wire = {"status": sc.status, "checks": sc.checks, "pcapng": pcapng, "capture": capture,
            "connections": sc.connections}
    if sc.status == "error" and o["verdict"] != "error":
        wire["engine_message"] = o["message"]
        o["message"] = f"wire check: {_summary(sc)} — engine said {o['verdict']}: {o['message']}"
        o["verdict"] = "error"
    o["wire"] = wire
    return o


_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def pcapng_name(sid: str, peer: str, taken: set[str]) -> str:
    base = f"wire/{_SAFE.sub('_', sid)}"
    name = f"{base}.pcapng"
    if name in taken:
        name = f"{base}.{_SAFE.sub('_', peer)}.pcapng"
    return name


def _batch_problems(job: CaptureJob) -> tuple[list[str], Optional[Pcap]]:
    errs: list[str] = []
    st = job.stats
    if st is not None:
        if st.error:
            errs.append(f"capture: {st.error}")
        if st.dropped:
            errs.append(f"capture: tcpdump reports {st.dropped} packets dropped by kernel: the "
                        "capture is incomplete, nothing in it can be trusted")
    pcap = None
    if not job.capture.exists():
        errs.append(f"capture: {job.capture.name} does not exist")
    else:
        try:
            pcap = read_pcap(job.capture)
        except PcapError as e:
            errs.append(f"capture: {e}")
        else:
            if pcap.truncated_tail:
                errs.append(f"capture: {job.capture.name} ends in an incomplete record "
                            f"({pcap.truncated_tail} bytes): tcpdump did not finish writing")
    return errs, pcap


def check_capture(run_dir: Path, job: CaptureJob, taken_names: set[str],
                  write_pcapngs: bool = True) -> CaptureOutcome:
    """Check every result line of one batch; returns new objects per line (nothing written to
    results.jsonl here)."""
    out = CaptureOutcome(job)
    t0 = time.monotonic()
    out.seconds["capture_stop"] = job.stats.stop_s if job.stats else 0.0
    results = run_dir / "results.jsonl"
    try:
        raw_lines = results.read_bytes().decode("utf-8", "replace").splitlines()
    except OSError:
        raw_lines = []
    lines = []
    for n in range(job.first_line, min(job.last_line, len(raw_lines)) + 1):
        raw = raw_lines[n - 1]
        if not raw.strip():
            continue
        ln = parse_line(raw, n)
        if isinstance(ln.obj, dict) and ("wire" in ln.obj or "engine_verdict" in ln.obj):
            ln = parse_line(json.dumps(original_result(ln.obj)), n)
        if ln.valid:
            lines.append(ln)
    errs, pcap = _batch_problems(job)
    keylog: Optional[KeyLog] = None
    keylog_error: Optional[str] = None
    if not job.keylog.exists():
        keylog_error = f"{job.keylog.name} does not exist (the engine wrote no TLS secrets)"
    else:
        try:
            keylog = read_keylog(job.keylog)
        except OSError as e:
            keylog_error = f"{job.keylog}: {e.strerror}"
    t1 = time.monotonic()
    view: Optional[CaptureView] = None
    tls_frames = {}
    if pcap is not None:
        try:
            tls_frames = run_tshark(job.capture, job.keylog if keylog else Path(os.devnull),
                                    _server_ports(job, lines))
        except TsharkError as e:
            errs.append(f"tshark: {e}")
    t2 = time.monotonic()
    out.seconds["tshark"] = t2 - t1
    if pcap is not None:
        view = build_view(pcap, job.port, job.host, tls_frames)
    out.batch_errors = errs
    used: set[int] = set()
    pcapng_s = 0.0
    for ln in lines:
        obj = ln.obj
        sid = obj["id"]
        out.ids[ln.lineno] = sid
        sc = check_scenario(obj, view, keylog, keylog_error, errs, used)
        out.checks[ln.lineno] = sc
        rel = None
        if pcap is not None:
            rel = pcapng_name(sid, job.peer, taken_names | set(out.pcapngs.values()))
            if write_pcapngs:
                tp = time.monotonic()
                (run_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                frames = sc.frames
                lines_kl = keylog.lines_for(dict.fromkeys(sc.randoms)) if keylog else []
                write_pcapng(run_dir / rel, pcap.linktype, (pcap.frames[n - 1] for n in frames),
                             lines_kl)
                pcapng_s += time.monotonic() - tp
            out.pcapngs[sid] = rel
        out.by_line[ln.lineno] = apply_wire(obj, sc, rel, _rel(job.capture, run_dir))
    out.seconds["pcapng"] = pcapng_s
    out.seconds["checks"] = time.monotonic() - t0 - out.seconds["tshark"] - pcapng_s
    return out


def _server_ports(job: CaptureJob, lines) -> set[int]:
    """TLS server ports to decode: the target's, and the engine's own listening ports of
    responder-role results."""
    ports = {job.port} if job.port else set()
    for ln in lines:
        for c in ln.obj["evidence"]["connections"]:
            if engine_is_client(ln.obj, c):
                # A connection the engine opened: the target's port is the TLS server's (a
                # capture of all of lo has no job port).
                tgt = str(ln.obj.get("target") or "")
                if not job.port and tgt.rsplit(":", 1)[-1].isdigit():
                    ports.add(int(tgt.rsplit(":", 1)[-1]))
            elif c.get("local_port"):
                ports.add(c["local_port"])
    return ports


def _rel(p: Path, base: Path) -> str:
    try:
        return str(Path(p).resolve().relative_to(Path(base).resolve()))
    except ValueError:
        return str(p)


def rewrite_results(path: Path, by_line: dict[int, dict]) -> None:
    """Replace the given lines (1-based) of results.jsonl; temp file + rename, so a reader sees
    the old or the new file, never a mix, and no line is lost."""
    path = Path(path)
    raw = path.read_bytes().decode("utf-8", "replace").splitlines(keepends=True)
    for n, obj in by_line.items():
        if 1 <= n <= len(raw):
            raw[n - 1] = json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.writelines(raw)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_wire_json(run_dir: Path) -> dict:
    try:
        d = json.loads((Path(run_dir) / WIRE_JSON).read_text())
        if d.get("schema") == WIRE_SCHEMA:
            return d
    except (OSError, ValueError):
        pass
    return {"schema": WIRE_SCHEMA, "captures": []}


def record_outcome(run_dir: Path, out: CaptureOutcome) -> dict:
    """Add (or replace) this capture's entry in wire.json; returns the entry."""
    job = out.job
    entry = {"capture": _rel(job.capture, run_dir), "peer": job.peer,
             "launcher_role": job.launcher_role, "port": job.port, "host": job.host,
             "keylog": _rel(job.keylog, run_dir), "first_line": job.first_line,
             "last_line": job.last_line,
             "tcpdump": ({**job.stats.as_dict(), "path": _rel(Path(job.stats.path), run_dir)}
                         if job.stats else None),
             "batch_errors": out.batch_errors, "internal_error": out.internal_error,
             "seconds": {k: round(v, 4) for k, v in out.seconds.items()},
             "scenarios": {out.ids[n]: out.status(n) for n in out.checks},
             "pcapngs": out.pcapngs}
    doc = load_wire_json(run_dir)
    doc["captures"] = [c for c in doc["captures"] if c.get("capture") != entry["capture"]]
    doc["captures"].append(entry)
    caps = doc["captures"]
    doc["totals"] = {
        "scenarios": sum(len(c["scenarios"]) for c in caps),
        "ok": sum(1 for c in caps for s in c["scenarios"].values() if s == "ok"),
        "error": sum(1 for c in caps for s in c["scenarios"].values() if s != "ok"),
        "seconds": {k: round(sum(c["seconds"].get(k, 0) for c in caps), 4)
                    for k in ("capture_stop", "tshark", "checks", "pcapng", "rewrite")},
    }
    doc["totals"]["seconds"]["total"] = round(sum(doc["totals"]["seconds"].values()), 4)
    path = Path(run_dir) / WIRE_JSON
    tmp = path.with_name(f".{WIRE_JSON}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, indent=1))
    os.replace(tmp, path)
    return entry


def internal_failure(job: CaptureJob, run_dir: Path, exc: BaseException) -> CaptureOutcome:
    """The checker itself failed: every line of the batch becomes a wire error (never a pass)."""
    out = CaptureOutcome(job)
    out.internal_error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    try:
        raw_lines = (run_dir / "results.jsonl").read_bytes().decode("utf-8", "replace") \
            .splitlines()
    except OSError:
        raw_lines = []
    for n in range(job.first_line, min(job.last_line, len(raw_lines)) + 1):
        ln = parse_line(raw_lines[n - 1], n)
        if not ln.valid and not (isinstance(ln.obj, dict) and "wire" in ln.obj):
            continue
        sc = ScenarioCheck()
        sc.add("internal", False, f"the wire check itself failed: {out.internal_error}")
        out.checks[n] = sc
        out.ids[n] = ln.obj["id"]
        out.by_line[n] = apply_wire(ln.obj, sc, None, _rel(job.capture, run_dir))
    return out
