"""A throw-away gate setup for tests: scenario files, a peers directory with baselines, and a
nested `pytest -p hsprobe.pytest_plugin` run over them (the nested run inherits this run's
private network namespace).  With the default engine and peer it uses the fakes in fakes/
(fake_hsprobe.py, fake_peer.py), so the plugin's logic is tested without the C engine;
e2e tests pass the real engine and the tor-relay launcher instead."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
FAKE_ENGINE = HERE / "fakes" / "fake_hsprobe.py"
FAKE_PEER = HERE / "fakes" / "fake_peer.py"

PEER_TOML = """protocols = ["tor-link"]
launcher = "run"
ready_timeout_s = 30
[serves]
initiator = "responder"
"""


def scenario(sid: str, spec: str = "tor-spec §4.1", peers: str = "fake", role: str = "initiator",
             steps: str = "connect tls=1.3\nsend VERSIONS versions=3,4,5\nexpect VERSIONS within 1s\n",
             title: Optional[str] = None, catalogue: Optional[str] = None) -> str:
    cat = f"catalogue:   {catalogue}\n" if catalogue else ""
    return (f"id:          {sid}\n"
            f"title:       {title or 'Scenario ' + sid}\n"
            f"role:        {role}\n"
            f"protocol:    tor-link\n"
            f"peers:       {peers}\n"
            f"spec:        {spec}\n"
            f"level:       MUST\n{cat}"
            f"requirement: The target answers {sid}\n"
            f"             as the spec requires.\n\n{steps}")


@dataclass
class GateRun:
    rc: int
    out: str
    report: Path
    junit: dict[str, tuple[str, str]]  # test name -> (outcome, message)

    def outcome(self, name: str) -> str:
        return self.junit[name][0]

    def message(self, name: str) -> str:
        return self.junit[name][1]


def parse_junit(path: Path) -> dict[str, tuple[str, str]]:
    """testcase name -> (passed|failed|error|skipped|xfailed, message+text)."""
    out: dict[str, tuple[str, str]] = {}
    if not path.exists():
        return out
    for tc in ET.parse(path).getroot().iter("testcase"):
        outcome, text = "passed", ""
        for child in tc:
            if child.tag in ("failure", "error", "skipped"):
                text = (child.get("message") or "") + "\n" + (child.text or "")
                outcome = {"failure": "failed", "error": "error"}.get(child.tag, "skipped")
                if child.tag == "skipped" and child.get("type") == "pytest.xfail":
                    outcome = "xfailed"
                break
        out[tc.get("name")] = (outcome, text)
    return out


class GateEnv:
    def __init__(self, root: Path, peer: str = "fake", launcher: Path = FAKE_PEER,
                 engine: Path = FAKE_ENGINE):
        self.root = root
        self.peer = peer
        self.engine = engine
        self.scn = root / "scn"
        self.peers = root / "peers"
        self.scn.mkdir(parents=True)
        pdir = self.peers / peer
        pdir.mkdir(parents=True)
        (pdir / "peer.toml").write_text(PEER_TOML)
        (pdir / "run").symlink_to(launcher)
        (root / "pytest.ini").write_text("[pytest]\n")
        self.plan: dict = {}

    @property
    def baseline_path(self) -> Path:
        return self.peers / self.peer / "baseline.tsv"

    def add(self, name: str, text: str) -> Path:
        p = self.scn / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p

    def baseline(self, text: str) -> None:
        self.baseline_path.write_text(text)

    def argv(self, *extra: str, report: Optional[Path] = None,
             paths: Optional[list] = None) -> list[str]:
        report = report or self.root / "report"
        return [sys.executable, "-m", "pytest", "-p", "hsprobe.pytest_plugin", "-c",
                str(self.root / "pytest.ini"), "--rootdir", str(self.root), "-p",
                "no:cacheprovider", *map(str, paths or [self.scn]), "--hsprobe-peers", str(self.peers),
                "--hsprobe-scenarios", str(self.scn),
                "--hsprobe-report", str(report), "--junitxml", str(report / "junit.xml"),
                # the fake engine writes invented transcripts: nothing for a wire check to hold
                *(["--hsprobe-wire", "off"] if self.engine == FAKE_ENGINE else []),
                "-rA", *extra]

    def env(self) -> dict:
        plan = self.root / "plan.json"
        plan.write_text(json.dumps(self.plan))
        return {**os.environ, "PYTHONPATH": str(REPO / "harness" / "py"),
                "HSPROBE_BIN": str(self.engine), "FAKE_HSPROBE_PLAN": str(plan)}

    def start(self, *extra: str, paths: Optional[list] = None) -> subprocess.Popen:
        return subprocess.Popen(self.argv(*extra, paths=paths), cwd=self.root, env=self.env(),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def finish(self, proc: subprocess.Popen, timeout: float = 120) -> GateRun:
        out, _ = proc.communicate(timeout=timeout)
        report = self.root / "report"
        return GateRun(proc.returncode, out.decode("utf-8", "replace"), report,
                       parse_junit(report / "junit.xml"))

    def run(self, *extra: str, timeout: float = 120, paths: Optional[list] = None) -> GateRun:
        return self.finish(self.start(*extra, paths=paths), timeout)


# -- hand-written results and run directories for report tests -----------------------------------
def result_line(sid: str, verdict: str, spec: str = "tor-spec §4.1", message: str = "",
                total_ms: float = 5.0, outcome: str = "expected-reply", peer_target: str =
                "127.0.0.1:9001", catalogue: Optional[str] = None) -> dict:
    """One result object in the engine's format (tests validate it against the schema)."""
    failed = verdict == "fail"
    versions = "0000070006000300040005"
    certs_hex = "0000810" + "1f4" + "00" * 500  # a long cell, to see the hex wrapping
    return {
        "schema": "hsprobe.result/1", "id": sid, "file": f"scenarios/tor/x/{sid}.scn",
        "title": f"Scenario {sid}", "role": "initiator", "protocol": "tor-link", "spec": spec,
        "level": "MUST", "requirement": f"The target answers {sid} as the spec requires.",
        "catalogue": catalogue, "target": peer_target, "verdict": verdict,
        "outcome": ({"kind": "close", "detail": "closed without answering", "close": "rst",
                     "after_ms": 3.5} if failed else
                    {"kind": outcome, "detail": "VERSIONS", "cmd": "VERSIONS"}),
        "failed_step": {"line": 14, "text": "expect VERSIONS within 1s"} if failed else None,
        "message": message or {"pass": "as required", "fail": "target closed (RST)",
                               "error": "target exited: connection refused",
                               "unsupported": "role not implemented"}[verdict],
        "negated": False, "seed": 7,
        "evidence": {"connections": [{
            "name": "main", "tls": {"version": "TLS1.3", "cipher": "AES-256-GCM"},
            "close": {"kind": "rst", "after_ms": 3.5} if failed else None,
            "cells": [{"dir": "sent", "cmd": "VERSIONS", "circ_id": 0, "width": 2, "len": 6,
                       "t_ms": 0.41, "hex": versions},
                      {"dir": "recv", "cmd": "CERTS", "circ_id": 0, "width": 2, "len": 500,
                       "t_ms": 1.93, "hex": certs_hex}],
            "overflow": False}]},
        "timings_ms": {"total": total_ms, "connect": 1.2},
        "started": "2026-11-21T08:00:00.000Z"}


def make_run_dir(run_dir: Path, scenarios: list[dict], peers: dict[str, dict],
                 lines: list, started: str = "2026-11-21T08:00:00+00:00") -> Path:
    """Write run.json + results.jsonl as the plugin would.  scenarios: header dicts;
    peers: name -> {"serves", "protocols", "baseline" (tsv text), "selected", "lines": (first,
    last) or None for a batch that never finished}; lines: result objects or raw strings."""
    from hsprobe import baseline as bl
    from hsprobe.report import MANIFEST, MANIFEST_SCHEMA, baseline_to_json
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "results.jsonl", "w") as f:
        for obj in lines:
            f.write((obj if isinstance(obj, str) else json.dumps(obj)) + "\n")
    mpeers = {}
    for name, p in peers.items():
        bpath = run_dir / f"{name}.baseline.tsv"
        bpath.write_text(p.get("baseline", ""))
        try:
            base = bl.load(bpath)
        except bl.BaselineError as e:
            base = e
        batches = []
        if p.get("lines"):
            first, last = p["lines"]
            batches.append({"launcher_role": "responder", "target": "127.0.0.1:9001",
                            "ids": p["selected"], "first_line": first, "last_line": last,
                            "argv": ["hsprobe", "run"], "engine_rc": p.get("engine_rc", 1),
                            "timed_out": False, "start_error": None,
                            "peer_died": p.get("peer_died", False), "peer_rc": None,
                            "peer_log_tail": "", "peer_startup_s": 0.3, "elapsed_s": 1.5,
                            "engine_stderr": None})
        mpeers[name] = {"name": name, "description": f"{name} test peer",
                        "protocols": p.get("protocols", ["tor-link"]),
                        "serves": p.get("serves", {"initiator": "responder"}),
                        "baseline": baseline_to_json(bpath, base),
                        "selected": p["selected"], "batches": batches}
    manifest = {"schema": MANIFEST_SCHEMA, "started": started, "scenarios": scenarios,
                "peers": mpeers, "results": "results.jsonl"}
    (run_dir / MANIFEST).write_text(json.dumps(manifest))
    return run_dir


def header(sid: str, spec: str = "tor-spec §4.1", peers=("fake",), role: str = "initiator",
           catalogue: Optional[str] = None) -> dict:
    return {"file": f"scenarios/tor/x/{sid}.scn", "id": sid, "title": f"Scenario {sid}",
            "role": role, "protocol": "tor-link", "peers": list(peers), "spec": spec,
            "level": "MUST", "requirement": f"The target answers {sid} as the spec requires.",
            "catalogue": catalogue, "note": None, "timeout_ms": 2000}
