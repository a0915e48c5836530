"""hsprobe.report from hand-written results (each checked against the result schema first):
matrix grouping and section marks, cell states with baseline reasons, evidence anchors, hex
wrapping, errors for schema-violating and truncated lines, summary.txt, and the CLI."""

import html.parser
import re
import subprocess
import sys

import pytest

from gate_env import REPO, header, make_run_dir, result_line
from hsprobe import report
from hsprobe.results import schema_errors

RELAY_BASELINE = ("# test\n"
                  "t.a\tpass\nt.b\txfail\ttor skips the check\nt.c\tpass\nt.d\tpass\n"
                  "t.e\tpass\nt.g\tpass\nt.h\tpass\nt.i\tpass\n")


def _broken_h():
    r = result_line("t.h", "pass")
    del r["evidence"]  # violates the schema: required property
    return r


@pytest.fixture
def run_dir(tmp_path):
    good = [result_line("t.a", "pass", "tor-spec §4.1", total_ms=12.0),
            result_line("t.b", "fail", "tor-spec §4.1", total_ms=2500.0, catalogue="A07"),
            result_line("t.c", "pass", "tor-spec §4.2", total_ms=3.0),
            result_line("t.d", "pass", "tor-spec §4.2", total_ms=1.0),
            result_line("t.e", "fail", "tor-spec §4.10", total_ms=40.0),
            result_line("t.g", "error", "tor-spec §4.11", total_ms=0.5)]
    for r in good:
        assert schema_errors(r) == [], r["id"]  # the fixtures are what the engine may write
    client_line = result_line("t.f", "unsupported", "tor-spec §5")
    assert schema_errors(client_line) == []
    broken = _broken_h()
    assert schema_errors(broken), "t.h must violate the schema"
    scenarios = [header("t.a", "tor-spec §4.1", ["relay"]),
                 header("t.b", "tor-spec §4.1", ["relay"], catalogue="A07"),
                 header("t.c", "tor-spec §4.2", ["relay"]),
                 header("t.d", "tor-spec §4.2", ["relay"]),
                 header("t.e", "tor-spec §4.10", ["relay"]),
                 header("t.f", "tor-spec §5", ["client"], role="responder"),
                 header("t.g", "tor-spec §4.11", ["relay"]),
                 header("t.h", "tor-spec §4.11", ["relay"]),
                 header("t.i", "tor-spec §4.11", ["relay"])]
    lines = [*good, broken, '{"schema": "hsprobe.result/1", "id": "t.i", "verd', client_line]
    return make_run_dir(
        tmp_path / "20261121T080000Z", scenarios,
        {"relay": {"baseline": RELAY_BASELINE,
                   "selected": ["t.a", "t.b", "t.c", "t.d", "t.e", "t.g", "t.h", "t.i"],
                   "lines": (1, 8)},
         "client": {"serves": {"responder": "initiator"},
                    "baseline": "t.f\tunsupported\tno initiator mode in this test peer\n",
                    "selected": ["t.f"], "lines": (9, 9)}},
        lines)


class Page(html.parser.HTMLParser):
    """Cells of the matrix (class, text, link) and every element id."""

    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.cells, self.rows = set(), [], [], []
        self._cell = None
        self._tags = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
            if self._cell is not None:
                self._cell["href"] = a["href"]
        if tag == "tr":
            self.rows.append({"class": a.get("class", ""), "cells": []})
        if tag == "td" and self.rows:
            self._cell = {"class": a.get("class", ""), "text": "", "href": None}
            self.rows[-1]["cells"].append(self._cell)
        self._tags.append(tag)

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data


def _page(run_dir):
    paths = report.write_report(run_dir)
    text = paths["html"].read_text()
    p = Page()
    p.feed(text)
    return text, p


def _row(page, sid):
    rows = [r for r in page.rows if r["cells"] and r["cells"][0]["text"] == sid]
    assert len(rows) == 1, sid
    return rows[0]["cells"]


def test_matrix_groups_by_section_in_natural_order_with_pike_marks(run_dir):
    _text, page = _page(run_dir)
    secs = [(r["cells"][0]["text"], [c["text"].split()[0] for c in r["cells"][1:]])
            for r in page.rows if r["class"] == "sec"]
    # columns: client, relay (sorted); marks as in Pike's legend
    assert secs == [("tor-spec §4.1 (2 scenarios)", ["[-]", "[/]"]),
                    ("tor-spec §4.2 (2 scenarios)", ["[-]", "[X]"]),
                    ("tor-spec §4.10 (1 scenarios)", ["[-]", "["]),  # "[ ] deviates"
                    ("tor-spec §4.11 (3 scenarios)", ["[-]", "[!]"]),
                    ("tor-spec §5 (1 scenarios)", ["[-]", "[-]"])]
    deviates = [r for r in page.rows if r["class"] == "sec"][2]["cells"][2]
    assert deviates["text"] == "[ ] deviates" and "s-deviates" in deviates["class"]


def test_cells_say_state_reason_and_link_to_existing_evidence(run_dir):
    text, page = _page(run_dir)
    a = _row(page, "t.a")
    assert a[1]["text"] == "Scenario t.a" and a[2]["text"] == "MUST"
    assert "The target answers t.a" in a[4]["text"]
    assert "s-na" in a[5]["class"] and "does not list client" in a[5]["text"]
    assert "s-conforms" in a[6]["class"] and a[6]["text"] == "conforms"
    b = _row(page, "t.b")
    assert b[3]["text"] == "A07"
    assert "s-deviates" in b[6]["class"]
    assert "baseline: tor skips the check" in b[6]["text"]
    e = _row(page, "t.e")
    assert "s-deviates" in e[6]["class"] and "FAIL" in e[6]["text"]
    f = _row(page, "t.f")
    assert "s-na" in f[5]["class"] and "no initiator mode" in f[5]["text"]  # unsupported
    assert "s-na" in f[6]["class"] and "does not list relay" in f[6]["text"]
    for sid in ("t.g", "t.h", "t.i"):
        assert "s-error" in _row(page, sid)[6]["class"], sid
    assert "violates the schema" in _row(page, "t.h")[6]["text"]
    assert "no result line" in _row(page, "t.i")[6]["text"]
    # Every matrix cell links to an evidence section that exists on the page.
    cells = [c for r in page.rows if r["class"] != "sec" for c in r["cells"]
             if "c " in c["class"] + " " and c["class"].startswith("c ")]
    assert len(cells) == 9 * 2
    for c in cells:
        assert c["href"] and c["href"][1:] in page.ids, c


def test_evidence_shows_outcome_failed_step_and_wrapped_hex(run_dir):
    text, _page_ = _page(run_dir)
    sec = text[text.index('id="ev-relay-t.b"'):]
    sec = sec[:sec.index("</section>")]
    assert "scenarios/tor/x/t.b.scn:14: expect VERSIONS within 1s" in sec
    assert "close rst after 3.5 ms: closed without answering" in sec
    assert "target closed (RST)" in sec
    assert "xfail — tor skips the check" in sec
    assert "closed by target: rst after 3.5 ms" in sec
    pres = re.findall(r"<pre>(.*?)</pre>", sec, re.S)
    certs = max(pres, key=len)
    rows = certs.split("\n")
    assert len(rows) == -(-505 // 32)  # 505 bytes, 32 a line
    assert all(len(r.split(" ")) <= 32 for r in rows)
    assert rows[0].startswith("00 00 81 01 f4 00")
    assert "<td>sent</td><td>VERSIONS</td><td>6</td><td>0.41</td>" in sec


def test_report_is_self_contained(run_dir):
    text, page = _page(run_dir)
    assert not re.search(r"<(script|link|img|iframe)\b", text, re.I)
    assert not re.search(r"\b(src|href)\s*=\s*\"(?!#)", text)
    assert all(h.startswith("#") for h in page.hrefs)


def test_summary_counts_deviations_failures_and_slowest(run_dir):
    report.write_report(run_dir)
    s = (run_dir / "summary.txt").read_text()
    relay = next(l for l in s.splitlines() if l.startswith("  relay @"))
    assert "ok-pass 3  ok-xfail 1  FAIL 1  ERROR 3" in relay and relay.endswith("gate: FAIL")
    assert "    verdicts: pass 3  fail 2  unsupported 0  error 1  (no usable result: 2)" in s
    client = next(l for l in s.splitlines() if l.startswith("  client @"))
    assert "ok-unsupported 1" in client and client.endswith("gate: PASS")
    assert "  t.b [relay]: tor skips the check" in s
    fails = s[s.index("gate failures (4):"):s.index("slowest")]
    assert [l.split()[0:2] for l in fails.splitlines()[1:] if l.strip()] == [
        ["FAIL", "t.e"], ["ERROR", "t.g"], ["ERROR", "t.h"], ["ERROR", "t.i"]]
    slow = s[s.index("slowest scenarios:"):].splitlines()[1:6]
    assert [l.split()[2] for l in slow] == ["t.b", "t.e", "t.a", "t.f", "t.c"]  # t.f: 5 ms
    assert f"report: {run_dir / 'report.html'}" in s
    assert "[/]  tor-spec §4.1  (2)" in s


def test_cli_rebuilds_the_same_report(run_dir):
    paths = report.write_report(run_dir)
    first = paths["html"].read_text()
    paths["html"].unlink()
    proc = subprocess.run([sys.executable, "-m", "hsprobe.report", str(run_dir)],
                          capture_output=True, text=True, cwd=REPO / "harness" / "py")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (run_dir / "summary.txt").read_text()
    assert paths["html"].read_text() == first


def test_cli_refuses_a_directory_without_manifest(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "hsprobe.report", str(tmp_path)],
                          capture_output=True, text=True, cwd=REPO / "harness" / "py")
    assert proc.returncode == 2 and "no run.json" in proc.stderr


def test_lines_of_an_unfinished_batch_are_attributed(tmp_path):
    """A crash before the plugin recorded the batch: its lines still show up."""
    d = make_run_dir(tmp_path / "r", [header("t.a", peers=["relay"])],
                     {"relay": {"baseline": "t.a\tpass\n", "selected": ["t.a"], "lines": None}},
                     [result_line("t.a", "pass")])
    run = report.load_run(d)
    assert run.cells[("t.a", "relay")].state == "conforms"


def test_evidence_shows_the_mitm_block_and_a_rebuilt_trigger(tmp_path):
    r = result_line("t.m", "pass")
    r["role"] = "mitm"
    r["rebuilt_trigger"] = ("'trigger' got DESTROY on circuit 2147483649, reason 9 (FINISHED); "
                            "rebuilt from line 18")
    r["evidence"]["mitm"] = {
        "summary": "rewrote VERSIONS to-server", "block_ms": 812.5,
        "ended": {"leg": "client", "how": "closed", "after_ms": 640.25},
        "events": [{"t_ms": 1.5, "dir": "to-server", "cmd": "VERSIONS", "action": "rewritten",
                    "hook": 0, "in_len": 11, "out_len": 7},
                   {"t_ms": 3.25, "dir": "to-client", "cmd": "CERTS", "action": "relayed",
                    "in_len": 1400, "out_len": 1400}],
        "events_not_kept": 3}
    assert schema_errors(r) == []
    run_dir = make_run_dir(
        tmp_path / "20261121T080000Z", [header("t.m", "tor-spec §4.1", ["relay"], role="mitm")],
        {"relay": {"baseline": "t.m\tpass\n", "selected": ["t.m"], "lines": (1, 1),
                   "serves": {"mitm": "mitm"}}},
        [r])
    text = report.write_report(run_dir)["html"].read_text()
    sec = text[text.index('id="ev-relay-t.m"'):]
    sec = sec[:sec.index("</section>")]
    assert "man in the middle: rewrote VERSIONS to-server" in sec
    assert "ended by leg client (closed) after 640.2 ms" in sec
    assert ("<td>1.50</td><td>to-server</td><td>VERSIONS</td><td>rewritten</td><td>0</td>"
            "<td>11</td><td>7</td>") in sec
    assert "<td>relayed</td><td></td><td>1400</td>" in sec
    assert "3 later events not kept" in sec
    assert "rebuilt from line 18" in sec
