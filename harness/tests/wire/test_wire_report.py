"""A result's wire check as results.jsonl, the schema, report.html, summary.txt and the gate's
item text carry it (no relay): apply_wire turns a wire error into verdict error while keeping the
engine's verdict and message; the report links the pcapng and shows the failed check."""

import json
import sys
from pathlib import Path

from hsprobe import report
from hsprobe.results import schema_errors, wire_text
from hsprobe.wire.runcheck import CaptureOutcome, CaptureJob, apply_wire, original_result, \
    record_outcome
from hsprobe.wire.scencheck import ScenarioCheck

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gate"))
from gate_env import make_run_dir, result_line  # noqa: E402


def header(sid):
    return {"id": sid, "file": f"scenarios/tor/x/{sid}.scn", "title": f"Scenario {sid}",
            "role": "initiator", "protocol": "tor-link", "peers": ["relay"],
            "spec": "tor-spec §4.1", "level": "MUST", "requirement": "r", "catalogue": None,
            "note": None, "timeout_ms": 2000}


def checks(ok: bool) -> ScenarioCheck:
    sc = ScenarioCheck()
    sc.add("main.capture", True, "found: stream 0 (port 40000)")
    sc.add("main.cells.sent", ok, "sent (engine → target): first difference at offset 10 "
                                  "(engine cell #0 VERSIONS byte 10)")
    sc.add("main.recv.extra", True, "7 more bytes on the wire", level="info")
    sc.connections.append({"name": "main", "stream": 0, "local_port": 40000,
                           "bytes": {"sent": 11, "recv": 11},
                           "cells": [{"dir": "sent", "cmd": "VERSIONS", "circ_id": 0, "width": 2,
                                      "len": 6, "offset": 0}], "parse": []})
    return sc


def test_apply_wire_keeps_the_engine_verdict_and_is_undone_exactly():
    res = result_line("t.a", "pass", message="as required")
    out = apply_wire(res, checks(False), "wire/t.a.pcapng", "capture-relay-responder.pcap")
    assert schema_errors(out) == []
    assert out["verdict"] == "error" and out["engine_verdict"] == "pass"
    assert out["message"].startswith("wire check: main.cells.sent: sent (engine → target): first "
                                     "difference at offset 10") and out["message"].endswith(
        "engine said pass: as required")
    assert out["wire"]["engine_message"] == "as required"
    assert original_result(out) == res
    ok = apply_wire(out, checks(True), "wire/t.a.pcapng", "capture-relay-responder.pcap")
    assert (ok["verdict"], ok["message"], ok["wire"]["status"]) == ("pass", "as required", "ok")
    assert "engine_message" not in ok["wire"] and schema_errors(ok) == []


def test_an_engine_error_keeps_its_message():
    res = result_line("t.a", "error")
    out = apply_wire(res, checks(False), None, "c.pcap")
    assert out["verdict"] == "error" and out["message"] == res["message"]
    assert out["wire"]["status"] == "error"


def test_the_schema_refuses_a_wire_object_it_does_not_know():
    out = apply_wire(result_line("t.a", "pass"), checks(True), None, "c.pcap")
    out["wire"]["surprise"] = 1
    assert any("surprise" in e for e in schema_errors(out))


def test_wire_text_lists_errors_and_the_pcapng():
    out = apply_wire(result_line("t.a", "pass"), checks(False), "wire/t.a.pcapng", "c.pcap")
    text = wire_text(out["wire"], out["engine_verdict"])
    assert text.splitlines()[0] == "wire check: error (3 checks, 1 failed; engine verdict pass)"
    assert "  ERROR main.cells.sent: sent (engine → target): first difference" in text
    assert "pcapng (opens decrypted): wire/t.a.pcapng" in text


def test_report_links_the_pcapng_and_summary_counts_the_wire_check(tmp_path):
    bad = apply_wire(result_line("t.a", "pass"), checks(False), "wire/t.a.pcapng", "c.pcap")
    good = apply_wire(result_line("t.b", "pass"), checks(True), "wire/t.b.pcapng", "c.pcap")
    d = make_run_dir(tmp_path / "r", [header("t.a"), header("t.b")],
                     {"relay": {"baseline": "t.a\tpass\nt.b\tpass\n", "selected": ["t.a", "t.b"],
                                "lines": (1, 2)}}, [bad, good])
    out = CaptureOutcome(CaptureJob(d / "c.pcap", 9001, "127.0.0.1", d / "tls-keys.log", 1, 2,
                                    "relay", "responder"))
    out.checks = {1: checks(False), 2: checks(True)}
    out.ids = {1: "t.a", 2: "t.b"}
    out.seconds = {"capture_stop": 0.05, "tshark": 0.3, "checks": 0.1, "pcapng": 0.02,
                   "rewrite": 0.01}
    record_outcome(d, out)
    assert json.loads((d / "wire.json").read_text())["totals"]["error"] == 1
    paths = report.write_report(d)
    summary = paths["summary"].read_text()
    assert ("    wire check: 2 results, 1 ok, 1 error; +0.48 s added (capture stop 0.05, tshark "
            "0.30, checks 0.10, pcapng 0.02, rewrite 0.01)") in summary
    assert "ERROR t.a [relay]: wire check: main.cells.sent" in summary
    html = paths["html"].read_text()
    sec = html[html.index('id="ev-relay-t.a"'):]
    sec = sec[:sec.index("</section>")]
    assert '<a href="wire/t.a.pcapng">wire/t.a.pcapng</a>' in sec
    assert "wire check: error" in sec and "first difference at offset 10" in sec
    assert "engine verdict pass" in sec
    run = report.load_run(d)
    assert run.cells[("t.a", "relay")].state == "error"
    assert run.cells[("t.b", "relay")].state == "conforms"
