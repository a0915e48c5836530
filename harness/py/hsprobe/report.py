"""Run reports: report.html (conformance matrix + evidence) and summary.txt.

Input is a run directory as the pytest plugin leaves it: `run.json` (scenario headers, peers,
baseline snapshot, which result lines each peer's batch wrote) and `results.jsonl` (the
engine's lines).  Nothing else is read, so a report can be rebuilt later, or after a crash:

    python3 -m hsprobe.report reports/latest

The matrix follows Pike's SSL coverage notes (../shared/seeds): rows grouped by spec section,
a section mark [X] conforms / [/] partial / [ ] deviates / [-] not applicable / [!] no verdict,
and one cell per (scenario, peer) linking to that scenario's evidence further down the page.
report.html is one self-contained file (inline CSS, no scripts, no external assets).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from hsprobe import baseline as bl
from hsprobe.results import (ResultLine, failed_step_text, outcome_text, read_results)

__all__ = ["MANIFEST", "MANIFEST_SCHEMA", "Run", "Cell", "load_run", "render_html",
           "render_summary", "write_report", "observed_verdicts", "baseline_to_json",
           "batch_to_json", "COLOURS", "wire_summary_line"]

MANIFEST = "run.json"
MANIFEST_SCHEMA = "hsprobe.run/1"

# Cell states and their fill colours (the Chromium test looks for these exact colours).
COLOURS = {"conforms": "#5cb85c", "deviates": "#d9534f", "partial": "#f0ad4e",
           "na": "#cfd4da", "error": "#8e44ad", "notrun": "#ffffff"}
LABEL = {"conforms": "conforms", "deviates": "deviates", "na": "not applicable",
         "error": "no verdict", "notrun": "not run"}
MARK = {"conforms": "[X]", "partial": "[/]", "deviates": "[ ]", "na": "[-]", "error": "[!]",
        "notrun": "[?]"}


# -- what the plugin records ---------------------------------------------------------------------
def baseline_to_json(path: Path, base) -> dict:
    if isinstance(base, bl.BaselineError):
        return {"path": str(path), "exists": True, "error": str(base), "entries": {}}
    return {"path": str(path), "exists": base.exists, "error": None,
            "entries": {e.id: {"expected": e.expected, "reason": e.reason, "line": e.line}
                        for e in base.entries.values()}}


def batch_to_json(b) -> dict:
    return {"launcher_role": b.launcher_role, "target": b.target, "ids": b.ids,
            "first_line": b.first_line, "last_line": b.last_line, "argv": b.argv,
            "engine_rc": b.engine_rc, "timed_out": b.timed_out, "start_error": b.start_error,
            "peer_died": b.peer_died, "peer_rc": b.peer_rc, "peer_log_tail": b.peer_log_tail,
            "peer_startup_s": b.peer_startup_s, "elapsed_s": b.elapsed_s,
            "engine_stderr": str(b.engine_stderr) if b.engine_stderr else None,
            "wire_enabled": getattr(b, "wire_enabled", False),
            "capture": getattr(b, "capture", None), "wire": getattr(b, "wire", None)}


# -- model ---------------------------------------------------------------------------------------
@dataclass
class Cell:
    state: str                          # conforms | deviates | na | error | notrun
    note: str = ""                      # why (baseline reason, n/a reason, error)
    kind: Optional[bl.Kind] = None      # gate class when there is a result
    result: Optional[dict] = None
    line: Optional[ResultLine] = None
    entry: Optional[dict] = None        # baseline entry


@dataclass
class Run:
    dir: Path
    manifest: dict
    scenarios: list[dict]
    peers: list[str]
    lines: dict[str, dict[str, ResultLine]] = field(default_factory=dict)   # peer -> id -> line
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)        # (id, peer) -> cell

    def peer(self, name: str) -> dict:
        return self.manifest["peers"][name]


def _attribute(run_dir: Path, manifest: dict) -> dict[str, dict[str, ResultLine]]:
    """Which result line belongs to which peer.  Recorded batches own their line ranges; lines
    outside every range come from a batch that never finished (crash) and go to the peer that
    selected that id and has no recorded batch."""
    results = run_dir / manifest.get("results", "results.jsonl")
    lines = read_results(results)
    out: dict[str, dict[str, ResultLine]] = {p: {} for p in manifest["peers"]}
    claimed: set[int] = set()
    for name, p in manifest["peers"].items():
        for b in p["batches"]:
            ids = set(b["ids"])
            for ln in lines:
                if b["first_line"] <= ln.lineno <= b["last_line"]:
                    claimed.add(ln.lineno)
                    if ln.id in ids:
                        out[name].setdefault(ln.id, ln)
    for name, p in manifest["peers"].items():
        if p["batches"]:
            continue
        ids = set(p["selected"])
        for ln in lines:
            if ln.lineno not in claimed and ln.id in ids:
                out[name].setdefault(ln.id, ln)
    return out


def _can_serve(peer: dict, scn: dict) -> bool:
    return scn["role"] in peer["serves"] and scn["protocol"] in peer["protocols"]


def _cell(scn: dict, name: str, peer: dict, line: Optional[ResultLine]) -> Cell:
    if name not in scn["peers"]:
        return Cell("na", f"the scenario does not list {name}")
    if not _can_serve(peer, scn):
        return Cell("na", f"{name} cannot serve role {scn['role']} ({scn['protocol']})")
    if scn["id"] not in peer["selected"]:
        return Cell("notrun", "not selected in this run")
    if line is None:
        why = "no result line"
        for b in peer["batches"]:
            if scn["id"] in b["ids"]:
                why += _batch_note(b)
        return Cell("error", why, bl.Kind.ERROR)
    if not line.valid:
        return Cell("error", "result violates the schema: " + "; ".join(line.errors[:3]),
                    bl.Kind.ERROR, line=line)
    res = line.obj
    base = peer["baseline"]
    entry_d = base["entries"].get(scn["id"])
    entry = bl.Entry(scn["id"], entry_d["expected"], entry_d["reason"], entry_d["line"]) \
        if entry_d else None
    cls = bl.classify(res["verdict"], entry)
    if base["error"]:
        cls = bl.Classification(bl.Kind.ERROR, "the baseline is invalid")
    state = {"pass": "conforms", "fail": "deviates", "unsupported": "na",
             "error": "error"}[res["verdict"]]
    note = cls.explanation if cls.kind is not bl.Kind.OK_PASS else ""
    if res["verdict"] == "error":
        note = res["message"]
    return Cell(state, note, cls.kind, res, line, entry_d)


def _batch_note(b: dict) -> str:
    bits = []
    if b["start_error"]:
        bits.append(b["start_error"].splitlines()[0])
    if b["timed_out"]:
        bits.append("engine timed out")
    if b["engine_rc"] is not None:
        bits.append(f"engine exit {b['engine_rc']}")
    if b["peer_died"]:
        bits.append(f"peer exited (status {b['peer_rc']})")
    return f" ({'; '.join(bits)})" if bits else ""


def load_run(run_dir: Path) -> Run:
    run_dir = Path(run_dir)
    manifest = json.loads((run_dir / MANIFEST).read_text())
    if manifest.get("schema") != MANIFEST_SCHEMA:
        raise ValueError(f"{run_dir / MANIFEST}: not a {MANIFEST_SCHEMA} manifest")
    run = Run(run_dir, manifest, manifest["scenarios"], sorted(manifest["peers"]))
    run.lines = _attribute(run_dir, manifest)
    for scn in run.scenarios:
        for name in run.peers:
            run.cells[(scn["id"], name)] = _cell(scn, name, run.peer(name),
                                                 run.lines[name].get(scn["id"]))
    return run


def _natural(s: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def sections(run: Run) -> list[tuple[str, list[dict]]]:
    groups: dict[str, list[dict]] = {}
    for scn in run.scenarios:
        groups.setdefault(scn["spec"], []).append(scn)
    return [(k, sorted(v, key=lambda s: _natural(s["id"])))
            for k, v in sorted(groups.items(), key=lambda kv: _natural(kv[0]))]


def section_state(cells: list[Cell]) -> str:
    """[X] every applicable scenario conforms, [ ] none does, [/] some do, [-] nothing applies,
    [!] a scenario has no verdict (so the section cannot be summarised honestly)."""
    states = {c.state for c in cells} - {"notrun"}
    if "error" in states:
        return "error"
    states -= {"na"}
    if not states:
        return "na" if any(c.state == "na" for c in cells) else "notrun"
    if states == {"conforms"}:
        return "conforms"
    if states == {"deviates"}:
        return "deviates"
    return "partial"


def counts(run: Run, name: str) -> dict[str, int]:
    c: dict[str, int] = {}
    for (sid, peer), cell in run.cells.items():
        if peer == name and cell.kind is not None:
            c[cell.kind.value] = c.get(cell.kind.value, 0) + 1
    return c


def observed_verdicts(run_dir: Path, name: str) -> dict[str, tuple[str, str]]:
    """id -> (verdict, message) of every schema-valid result of peer `name` in this run."""
    run = load_run(run_dir)
    return {sid: (ln.obj["verdict"], ln.obj["message"])
            for sid, ln in run.lines[name].items() if ln.valid}


# -- wire check ----------------------------------------------------------------------------------
WIRE_JSON = "wire.json"
_PHASES = ("capture_stop", "tshark", "checks", "pcapng", "rewrite")


def _wire_doc(run_dir: Path) -> Optional[dict]:
    try:
        return json.loads((Path(run_dir) / WIRE_JSON).read_text())
    except (OSError, ValueError):
        return None


def _wire_line(caps: list[dict]) -> str:
    n = sum(len(c.get("scenarios", {})) for c in caps)
    ok = sum(1 for c in caps for v in c.get("scenarios", {}).values() if v == "ok")
    secs = {k: sum((c.get("seconds") or {}).get(k, 0.0) for c in caps) for k in _PHASES}
    drops = sum((c.get("tcpdump") or {}).get("dropped") or 0 for c in caps)
    batch = sum(len(c.get("batch_errors") or []) for c in caps)
    return (f"wire check: {n} results, {ok} ok, {n - ok} error"
            + (f" ({batch} capture problem(s), {drops} packets dropped)" if batch else "")
            + f"; +{sum(secs.values()):.2f} s added ("
            + ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in secs.items()) + ")")


def wire_summary_line(run_dir: Path, peer: Optional[str] = None) -> Optional[str]:
    """One line: results checked against the wire, ok / error, and the seconds it added."""
    doc = _wire_doc(run_dir)
    if doc is None:
        try:
            manifest = json.loads((Path(run_dir) / MANIFEST).read_text())
        except (OSError, ValueError):
            return None
        batches = [b for name, p in manifest.get("peers", {}).items() if peer in (None, name)
                   for b in p.get("batches", [])]
        if batches and all(b.get("wire_enabled") is False for b in batches):
            return "wire check: off (--hsprobe-wire off)"
        if any(b.get("wire_enabled") and b.get("capture") for b in batches):
            return "wire check: NOT RECORDED (no wire.json): results were not checked"
        return None
    caps = [c for c in doc.get("captures", []) if peer in (None, c.get("peer"))]
    return _wire_line(caps) if caps else None


# -- summary.txt ---------------------------------------------------------------------------------
MAX_LISTED = 15   # summary.txt is what `make run` prints: it has to fit one screen
WIDTH = 118


def _short(line: str) -> str:
    line = " ".join(line.split()) if len(line) > WIDTH else line
    return line if len(line) <= WIDTH else line[:WIDTH - 1] + "…"


def _failure_note(c: Cell) -> str:
    """The one thing to know about a gate failure, short."""
    if c.kind is bl.Kind.MISSING:
        return f"verdict {c.result['verdict']}, no baseline entry"
    if c.kind is bl.Kind.FAIL:
        return f"{c.result['verdict']} (baseline {c.entry['expected'] if c.entry else '?'}): " \
               f"{c.result['message']}"
    if c.kind is bl.Kind.XPASS:
        return c.note
    return c.result["message"] if c.result and c.result["verdict"] == "error" else c.note

def render_summary(run: Run, html_path: Optional[Path] = None) -> str:
    m = run.manifest
    out = [f"hsprobe run {run.dir.name} (started {m['started']}): "
           f"{len(run.scenarios)} scenarios, peers: {', '.join(run.peers) or 'none'}"]
    for name in run.peers:
        p = run.peer(name)
        c = counts(run, name)
        order = [k.value for k in bl.Kind]
        bad = sum(v for k, v in c.items() if not bl.Kind(k).ok)
        targets = ", ".join(b["target"] or "not started" for b in p["batches"]) or "not run"
        secs = sum(b["elapsed_s"] for b in p["batches"])
        out.append(f"  {name} @ {targets}: {len(p['selected'])} run in {secs:.1f} s   "
                   + "  ".join(f"{k} {c[k]}" for k in order if c.get(k))
                   + f"   gate: {'PASS' if bad == 0 and not p['baseline']['error'] else 'FAIL'}")
        verdicts: dict[str, int] = {}
        for (_sid, peer), cell in run.cells.items():
            if peer == name and cell.result:
                verdicts[cell.result["verdict"]] = verdicts.get(cell.result["verdict"], 0) + 1
        no_result = sum(1 for (_s, pn), c in run.cells.items()
                        if pn == name and c.kind is bl.Kind.ERROR and not c.result)
        out.append("    verdicts: " + "  ".join(f"{v} {verdicts.get(v, 0)}" for v in
                                                 ("pass", "fail", "unsupported", "error"))
                   + (f"  (no usable result: {no_result})" if no_result else ""))
        if p["baseline"]["error"]:
            out.append(f"    baseline invalid: {p['baseline']['error'].splitlines()[0]}")
        wline = wire_summary_line(run.dir, name)
        if wline:
            out.append(f"    {wline}")
    out.append("")
    out.append("coverage by spec section  ([X] conforms [/] partial [ ] deviates "
               "[-] n/a [!] no verdict)")
    for spec, scns in sections(run):
        marks = " ".join(MARK[section_state([run.cells[(s['id'], n)] for s in scns])]
                         for n in run.peers)
        out.append(f"  {marks}  {spec}  ({len(scns)})")
    gate_bad = [(k, n, c) for (k, n), c in sorted(run.cells.items())
                if c.kind is not None and not c.kind.ok]
    devs = [(k, n, c) for (k, n), c in sorted(run.cells.items()) if c.kind is bl.Kind.OK_XFAIL]
    if devs:
        out.append("")
        out.append("known deviations (baseline xfail):")
        out.extend(_short(f"  {k} [{n}]: {c.note}") for k, n, c in devs)
    if gate_bad:
        out.append("")
        out.append(f"gate failures ({len(gate_bad)}):")
        out.extend(_short(f"  {c.kind.value:<7} {k} [{n}]: {_failure_note(c)}")
                   for k, n, c in gate_bad[:MAX_LISTED])
        if len(gate_bad) > MAX_LISTED:
            out.append(f"  … {len(gate_bad) - MAX_LISTED} more in report.html")
    timed = sorted(((c.result["timings_ms"]["total"], k, n, c) for (k, n), c in run.cells.items()
                    if c.result), key=lambda t: -t[0])[:5]
    if timed:
        out.append("")
        out.append("slowest scenarios:")
        out.extend(f"  {ms:8.1f} ms  {k} [{n}]  {outcome_text(c.result)[:48]}"
                   for ms, k, n, c in timed)
    if html_path:
        out.append("")
        out.append(f"report: {html_path}")
    return "\n".join(out) + "\n"


# -- report.html ---------------------------------------------------------------------------------
def _e(s) -> str:
    return html.escape(str(s), quote=True)


def _anchor(sid: str, peer: str) -> str:
    return f"ev-{peer}-{sid}"


def _hex(h: str, per_line: int = 32) -> str:
    """Hex as `00 ff …`, 32 bytes a line, so a 514-byte cell stays readable."""
    pairs = [h[i:i + 2] for i in range(0, len(h), 2)]
    return "\n".join(" ".join(pairs[i:i + per_line]) for i in range(0, len(pairs), per_line))


_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:16px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px} h2{font-size:17px;margin:24px 0 8px} h3{font-size:15px}
table{border-collapse:collapse} td,th{border:1px solid #bbb;padding:3px 6px;vertical-align:top}
th{background:#eee;text-align:left}
.matrix td.c{width:120px;text-align:center;font-weight:600}
.matrix td.c a{display:block;color:inherit;text-decoration:none;min-height:18px}
.req{color:#555;font-size:12px;max-width:520px}
tr.sec td{font-weight:600} tr.sec td:first-child{background:#f4f4f4}
.s-conforms{background:%(conforms)s;color:#fff}
.s-deviates{background:%(deviates)s;color:#fff}
.s-partial{background:%(partial)s;color:#222}
.s-na{background:%(na)s;color:#333}
.s-error{background:%(error)s;color:#fff}
.s-notrun{background:%(notrun)s;color:#666;border:1px dashed #999}
.why{display:block;font-weight:400;font-size:11px}
.legend span{display:inline-block;padding:2px 8px;margin-right:6px}
pre{white-space:pre-wrap;word-break:break-all;margin:0;font:12px/1.3 monospace}
.ev{border-top:2px solid #ccc;margin-top:18px;padding-top:4px}
.kv td:first-child{font-weight:600;white-space:nowrap}
""" % COLOURS


def _cell_html(run: Run, scn: dict, name: str) -> str:
    c = run.cells[(scn["id"], name)]
    label = LABEL[c.state]
    if c.kind is not None and c.kind.value in ("FAIL", "XPASS", "MISSING"):
        label += f" · {c.kind.value}"
    why = ""
    if c.state == "deviates" and c.kind is bl.Kind.OK_XFAIL:
        why = f"baseline: {c.note}"
    elif c.kind is not None and not c.kind.ok and c.result:
        why = _failure_note(c)
    elif c.state in ("na", "error") or (c.kind and not c.kind.ok):
        why = c.note
    why_html = f'<span class="why">{_e(why[:140])}</span>' if why else ""
    return (f'<td class="c s-{c.state}" title="{_e(why)}"><a href="#{_anchor(scn["id"], name)}">'
            f'{_e(label)}{why_html}</a></td>')


def _evidence_html(run: Run, scn: dict, name: str) -> str:
    c = run.cells[(scn["id"], name)]
    r = c.result
    rows = [("peer", name), ("state", f"{LABEL[c.state]}"
                                      + (f" ({c.kind.value})" if c.kind else "")),
            ("requirement", f"{scn['spec']}, {scn['level']}: {' '.join(scn['requirement'].split())}"),
            ("file", scn["file"])]
    if c.note:
        rows.append(("why", c.note))
    if c.entry:
        rows.append(("baseline", f"{c.entry['expected']}"
                     + (f" — {c.entry['reason']}" if c.entry["reason"] else "")))
    body = ""
    if r:
        rows += [("verdict", r["verdict"]), ("outcome", outcome_text(r)),
                 ("message", r["message"])]
        step = failed_step_text(r)
        if step:
            rows.append(("failed step", step))
        rows.append(("timings", ", ".join(f"{k} {v:.1f} ms" for k, v in r["timings_ms"].items())))
        rows.append(("target", r["target"]))
        if r.get("negated"):
            rows.append(("negated", "yes: the last expectation was deliberately inverted"))
        if r.get("rebuilt_trigger"):
            rows.append(("trigger rebuilt", r["rebuilt_trigger"]))
        wire = r.get("wire")
        if isinstance(wire, dict):
            nerr = sum(1 for ch in wire["checks"] if not ch["ok"] and ch["level"] == "error")
            rows.append(("wire check", f"{wire['status']} — {len(wire['checks'])} checks"
                         + (f", {nerr} failed" if nerr else "")
                         + f" (engine verdict {r.get('engine_verdict', '?')})"))
            body += _wire_html(wire)
        for conn in r["evidence"]["connections"]:
            tls = conn["tls"]
            close = conn["close"]
            body += (f"<h4>connection {_e(conn['name'])}: "
                     f"{_e(tls['version'] + ' ' + tls['cipher']) if tls else 'no TLS'}"
                     f"{_e(', closed by target: %s after %.1f ms' % (close['kind'], close['after_ms'])) if close else ''}"
                     f"{' (truncated)' if conn['overflow'] else ''}</h4>")
            body += ("<table><tr><th>dir</th><th>cmd</th><th>len</th><th>t_ms</th>"
                     "<th>hex</th></tr>")
            for cell in conn["cells"]:
                body += (f"<tr><td>{_e(cell['dir'])}</td><td>{_e(cell['cmd'])}</td>"
                         f"<td>{cell['len']}</td><td>{cell['t_ms']:.2f}</td>"
                         f"<td><pre>{_e(_hex(cell['hex']))}</pre></td></tr>")
            body += "</table>"
        if r["evidence"].get("mitm"):
            body += _mitm_html(r["evidence"]["mitm"])
    elif c.line is not None:
        body = f"<p>result line {c.line.lineno}:</p><pre>{_e(c.line.raw[:4000])}</pre>"
    kv = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in rows)
    return (f'<section class="ev" id="{_anchor(scn["id"], name)}">'
            f'<h3>{_e(scn["id"])} [{_e(name)}] — {_e(scn["title"])}</h3>'
            f'<table class="kv">{kv}</table>{body}</section>')


def _mitm_html(m: dict) -> str:
    """The MITM block: what it did to each cell between the legs, and which leg ended it."""
    end = m.get("ended")
    out = (f"<h4>man in the middle: {_e(m['summary'])}</h4><p>block ran {m['block_ms']:.1f} ms; "
           + (f"ended by leg {_e(end['leg'])} ({_e(end['how'])}) after {end['after_ms']:.1f} ms"
              if end else "neither leg ended it") + "</p>")
    out += ("<table><tr><th>t_ms</th><th>dir</th><th>cmd</th><th>action</th><th>hook</th>"
            "<th>in</th><th>out</th></tr>")
    for e in m["events"]:
        out += (f"<tr><td>{e['t_ms']:.2f}</td><td>{_e(e['dir'])}</td><td>{_e(e['cmd'])}</td>"
                f"<td>{_e(e['action'])}</td><td>{e.get('hook', '')}</td>"
                f"<td>{e['in_len']}</td><td>{e['out_len']}</td></tr>")
    out += "</table>"
    if m.get("events_not_kept"):
        out += f"<p>{m['events_not_kept']} later events not kept (cap)</p>"
    return out


def _wire_html(wire: dict) -> str:
    """The wire check next to the evidence: pcapng link, failed and informational checks with
    their diffs, AUTHENTICATE fields, and (when the check failed) the cells the independent
    parser framed from the wire."""
    out = "<h4>wire check: " + _e(wire["status"]) + "</h4>"
    if wire.get("pcapng"):
        out += (f'<p>capture of this scenario, TLS keys embedded (opens decrypted in Wireshark): '
                f'<a href="{_e(wire["pcapng"])}">{_e(wire["pcapng"])}</a></p>')
    shown = [c for c in wire["checks"] if not c["ok"] or c["level"] == "info"]
    if shown:
        out += "<table><tr><th>check</th><th>level</th><th>detail</th></tr>"
        for c in shown:
            out += (f'<tr class="{"s-error" if c["level"] == "error" else ""}"><td>'
                    f'{_e(c["name"])}</td><td>{_e(c["level"])}</td><td><pre>{_e(c["detail"])}'
                    "</pre></td></tr>")
        out += "</table>"
    passed = [c["name"] for c in wire["checks"] if c["ok"] and c["level"] == "error"]
    if passed:
        out += f'<p class="req">passed: {_e(", ".join(passed))}</p>'
    for conn in wire.get("connections", []):
        out += (f"<p>connection {_e(conn['name'])}: stream {_e(conn.get('stream'))}, local port "
                f"{_e(conn.get('local_port'))}, plaintext bytes {_e(conn.get('bytes'))}</p>")
        for a in conn.get("authenticate", []):
            out += (f"<table><tr><th colspan=6>AUTHENTICATE ({_e(a['dir'])}, offset "
                    f"{a['offset']}, type {a['auth_type']})</th></tr><tr><th>field</th>"
                    "<th>source</th><th>match</th><th>wire</th><th>wire-derived</th>"
                    "<th>note</th></tr>")
            for name, f in a["fields"].items():
                out += (f"<tr><td>{_e(name)}</td><td>{_e(f.get('source', ''))}</td>"
                        f"<td>{_e(f.get('match'))}</td><td><pre>{_e(f['wire'])}</pre></td>"
                        f"<td><pre>{_e(f.get('derived') or '')}</pre></td>"
                        f"<td>{_e(f.get('note', ''))}</td></tr>")
            out += "</table>"
        if conn.get("cells") and wire["status"] != "ok":   # the wire's own framing, to compare
            out += ("<table><tr><th>dir</th><th>cmd</th><th>circ_id</th><th>len</th>"
                    "<th>offset</th></tr>")
            for c in conn["cells"]:
                out += (f"<tr><td>{_e(c['dir'])}</td><td>{_e(c['cmd'])}</td><td>{c['circ_id']}"
                        f"</td><td>{c['len']}</td><td>{c['offset']}</td></tr>")
            out += "</table>"
        for p in conn.get("parse", []):
            out += f'<p class="req">{_e(p)}</p>'
    return out


def render_html(run: Run) -> str:
    m = run.manifest
    peers_html = ""
    for name in run.peers:
        p = run.peer(name)
        c = counts(run, name)
        targets = ", ".join(b["target"] or "not started" for b in p["batches"]) or "not run"
        peers_html += (f"<tr><td>{_e(name)}</td><td>{_e(p['description'])}</td>"
                       f"<td>{_e(targets)}</td><td>{_e(p['baseline']['path'])}"
                       f"{' — INVALID' if p['baseline']['error'] else ''}</td><td>"
                       + _e(", ".join(f"{k} {v}" for k, v in sorted(c.items()))) + "</td></tr>")
    legend = "".join(f'<span class="s-{s}">{MARK[s]} {_e(t)}</span>' for s, t in
                     [("conforms", "conforms (pass)"), ("partial", "partial (section mixed)"),
                      ("deviates", "deviates (fail, or xfail with the baseline reason)"),
                      ("na", "not applicable (role not served / unsupported)"),
                      ("error", "no verdict (harness error)"), ("notrun", "not run")])
    head = "".join(f"<th>{_e(n)}</th>" for n in run.peers)
    rows = ""
    ev = ""
    for spec, scns in sections(run):
        marks = ""
        for name in run.peers:
            st = section_state([run.cells[(s["id"], name)] for s in scns])
            marks += f'<td class="c s-{st}">{MARK[st]} {_e(LABEL.get(st, st))}</td>'
        rows += (f'<tr class="sec"><td colspan="5">{_e(spec)} ({len(scns)} scenarios)</td>'
                 f"{marks}</tr>")
        for s in scns:
            rows += (f"<tr><td>{_e(s['id'])}</td><td>{_e(s['title'])}</td><td>{_e(s['level'])}"
                     f"</td><td>{_e(s['catalogue'] or '')}</td>"
                     f"<td class=req>{_e(' '.join(s['requirement'].split()))}</td>"
                     + "".join(_cell_html(run, s, n) for n in run.peers) + "</tr>")
            ev += "".join(_evidence_html(run, s, n) for n in run.peers)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>hsprobe report {_e(run.dir.name)}</title>
<style>{_CSS}</style></head><body>
<h1>hsprobe conformance report — {_e(run.dir.name)}</h1>
<p>started {_e(m['started'])}; {len(run.scenarios)} scenarios.
Results: <code>results.jsonl</code>, JUnit: <code>junit.xml</code>, peer logs: <code>peers/</code>.
{_e(wire_summary_line(run.dir) or '')}</p>
<table><tr><th>peer</th><th>implementation</th><th>address</th><th>baseline</th><th>gate classes</th></tr>
{peers_html}</table>
<p class="legend">{legend}</p>
<h2>Conformance matrix by spec section</h2>
<table class="matrix"><tr><th>id</th><th>title</th><th>level</th><th>catalogue</th>
<th>requirement</th>{head}</tr>
{rows}</table>
<h2>Evidence</h2>
{ev}
</body></html>
"""


def write_report(run_dir: Path) -> dict[str, Path]:
    run = load_run(run_dir)
    html_path = Path(run_dir) / "report.html"
    html_path.write_text(render_html(run), encoding="utf-8")
    summary = Path(run_dir) / "summary.txt"
    summary.write_text(render_summary(run, html_path), encoding="utf-8")
    return {"html": html_path, "summary": summary}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m hsprobe.report",
                                 description="Rebuild report.html and summary.txt of a run "
                                             "directory from its run.json and results.jsonl.")
    ap.add_argument("run_dir", type=Path)
    args = ap.parse_args(argv)
    if not (args.run_dir / MANIFEST).is_file():
        print(f"{args.run_dir}: no {MANIFEST} (not a run directory written by the gate)",
              file=sys.stderr)
        return 2
    paths = write_report(args.run_dir)
    sys.stdout.write(paths["summary"].read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
