"""hsprobe's column of the comparison: run the engine's scenarios against a started target and
map each result line to a check value of hsprobe.compare.checks.

Which scenarios: every scenario under SCENARIO_DIRS whose id the table below maps to a check
(exactly, or by one of the id families) and whose `peers:` header names the target — the
scenario author's statement of where the probe applies (e.g. TLS 1.2 + SCSV is a fallback only
for a TLS 1.3 server).  All of a target's scenarios run in one `build/hsprobe run` (one wall
time per target, like the other tools), with --jobs 1 for peers whose peer.toml says max_jobs = 1.

How a value is derived (never hard-coded: every cell comes from a result line of this run):

* map_result(result) -> (check, value) reads the engine's judgement fields where the result has
  them (evidence.connections[].injection and .renegotiation), otherwise the verdict, the alert
  and the outcome text (outcome.detail: "the TLS handshake completed (...)", "TLS handshake
  failed without an alert: closed (FIN)", ...);
* contradiction(result, check, value) re-checks that value against the raw evidence of the same
  line (verdict, outcome.alert, evidence.connections[].tls / close / stream / client_randoms)
  and says what is wrong when they disagree.  The runner turns a contradicted value into
  "inconsistent: ..." rather than print it;
* aggregate() folds several scenarios of one check (the SCSV probes at different versions) into
  one value: the worst finding wins (ignored > refused-no-alert > other alert > error >
  enforced), and a failed control (SCSV at the server's best version must complete) is appended.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

from hsprobe.compare.checks import CHECKS

SCENARIO_DIRS = ("scenarios/tls", "scenarios/starttls")

# id -> (check, kind).  kind says how the result is read (see _derive).
SCENARIO_CHECKS = {
    "tls.scsv.tls10-below-best": ("fallback_scsv", "scsv-below"),
    "tls.scsv.tls11-below-tls12": ("fallback_scsv", "scsv-below"),
    "tls.scsv.tls12-below-tls13": ("fallback_scsv", "scsv-below"),
    "tls.scsv.at-best-version": ("fallback_scsv", "scsv-control"),
    "tls.scsv.tls13-with-scsv": ("fallback_scsv", "scsv-control"),
    "tls.renegotiation.ri-advertised": ("secure_renegotiation", "ri"),
    "tls.renegotiation.client-initiated-refused": ("client_renegotiation", "reneg"),
    "starttls.xmpp.renegotiation-closes": ("client_renegotiation", "reneg"),
    "starttls.smtp.pipelined-injection": ("starttls_injection", "injection"),
}
# Families: scenarios being written on other branches plug in by id without a code change.
SCENARIO_FAMILIES = (
    (re.compile(r"^starttls\.(smtp|imap|pop3|nntp|xmpp)\.pipelined-injection$"),
     ("starttls_injection", "injection")),
    (re.compile(r"^starttls\.(smtp|imap|pop3|nntp|xmpp)\.handshake$"), ("starttls", "starttls")),
    # The compat hello is "understood" when the server answers the TLS 1.2 one with a
    # ServerHello (tls.compat-hello.accept-tls12); the other compat-hello scenarios probe
    # refusals and say nothing about understanding.
    (re.compile(r"^tls\.compat-hello\.accept-tls12$"), ("sslv2_compat_hello", "v2hello")),
)

INJECTION_CLASSES = {1: "discarded", 2: "dropped", 3: "answered-in-clear",
                     4: "answered-inside-tls"}
SCSV_RANK = ("ignored", "refused-no-alert", "other-alert", "error", "enforced")


def scenario_check(sid: str):
    """(check, kind) for a scenario id, or None when no check column uses it."""
    if sid in SCENARIO_CHECKS:
        return SCENARIO_CHECKS[sid]
    for rx, ck in SCENARIO_FAMILIES:
        if rx.match(sid):
            return ck
    return None


# ----------------------------------------------------------------------------------------------
# One result line -> one value
def _detail(r):
    return (r.get("outcome") or {}).get("detail", "")


def _alert(r):
    return (r.get("outcome") or {}).get("alert")


def _conns(r):
    return (r.get("evidence") or {}).get("connections") or []


def _tls_up(r):
    return any(c.get("tls") for c in _conns(r))


def _conn_field(r, name):
    """The first connection's judgement `name` (evidence.connections[].injection /
    .renegotiation, written by the engine's `starttls` / `expect renegotiation`), or None."""
    for c in _conns(r):
        if c.get(name) is not None:
            return c[name]
    return None


def _derive(kind, r):
    v, d = r.get("verdict"), _detail(r)
    if v not in ("pass", "fail"):
        return f"error: {v}: {d}"[:200]
    if kind == "scsv-below":
        al = _alert(r)
        if v == "pass" and al and al.get("code") == 86:
            return "enforced"
        if d.startswith("the TLS handshake completed"):
            return "ignored"
        if d.startswith("TLS handshake failed without an alert"):
            return "refused-no-alert"
        if al:
            return f"other-alert {al.get('name') or al.get('code')}"
        return f"unclassified: {d}"[:200]
    if kind == "scsv-control":
        return "completes" if v == "pass" else f"refused at best version: {d}"[:200]
    if kind == "ri":
        if v == "pass":
            return "yes"
        if "carries no renegotiation_info" in d:
            return "no"
        return f"unclassified: {d}"[:200]
    if kind == "reneg":
        got = _conn_field(r, "renegotiation")
        if got is None:
            return f"not reached: {d}"[:200]
        return {"accepted": "accepted", "no-answer": "no-answer"}.get(got, "refused")
    if kind == "injection":
        got = _conn_field(r, "injection")
        return got["name"] if got else f"not reached: {d}"[:200]
    if kind == "starttls":
        return "ok" if v == "pass" or _tls_up(r) else f"failed: {d}"[:200]
    if kind == "v2hello":
        if v == "pass":
            return "understood"
        al = _alert(r)
        if al:
            return f"refused-alert {al.get('name') or al.get('code')}"
        if "without an alert" in d:
            return "refused-no-alert"
        return f"unclassified: {d}"[:200]
    raise ValueError(kind)


def map_result(r: dict) -> list[tuple[str, str, str]]:
    """[(check, kind, value)] for one engine result line: its scenario's check (if the table maps
    it) and, for every STARTTLS scenario, the `starttls` check (did the engine get through the
    protocol's STARTTLS dialog and handshake)."""
    out = []
    ck = scenario_check(r.get("id", ""))
    if ck is not None:
        out.append((ck[0], ck[1], _derive(ck[1], r)))
    if str(r.get("protocol", "")).endswith("-starttls") and (ck is None or ck[0] != "starttls"):
        out.append(("starttls", "starttls", _derive("starttls", r)))
    return out


def contradiction(r: dict, kind: str, value: str) -> str | None:
    """Why `value` (of a check read the `kind` way) cannot be what result `r` says — judged from
    its structured fields, not from the outcome text map_result uses — or None when they are
    consistent."""
    v, al = r.get("verdict"), _alert(r)
    closes = [c.get("close") for c in _conns(r) if c.get("close")]
    if value.startswith(("error:", "unclassified:", "not reached:")):
        return None  # says it could not decide; nothing to contradict
    if kind == "scsv-below":
        need = {"enforced": v == "pass" and bool(al) and al.get("code") == 86,
                "ignored": v == "fail" and _tls_up(r) and not al,
                "refused-no-alert": v == "fail" and not _tls_up(r) and not al and bool(closes)}
        if value.startswith("other-alert"):
            ok = v == "fail" and bool(al) and al.get("code") != 86
        else:
            ok = need.get(value, False)
    elif kind == "scsv-control":
        ok = (value == "completes") == (v == "pass" and _tls_up(r))
    elif kind == "ri":
        # "no": the handshake completed and the scenario still failed (its only other check is
        # the version); "yes": it passed.
        ok = {"yes": v == "pass", "no": v == "fail" and _tls_up(r)}.get(value, False)
    elif kind == "reneg":
        # The value came from the connection's `renegotiation` field; here the TLS evidence must
        # agree: "accepted" and "no-answer" look alike (no alert, no close, the second
        # ClientHello sent); "refused" does not.
        refused = (bool(al) and al.get("code") == 100) or bool(closes)
        sent_again = any(len(c.get("client_randoms") or []) >= 2 for c in _conns(r))
        quiet = not al and not closes and _tls_up(r) and sent_again
        ok = {"accepted": quiet, "refused": refused, "no-answer": quiet}.get(value, False)
    elif kind == "injection":
        conn = _conns(r)[0] if _conns(r) else {}
        st = conn.get("stream") or {}
        clear_recv = (st.get("clear") or {}).get("recv", 0)
        inside = (st.get("recv") or {}).get("bytes", 0) - clear_recv
        # A failing injection scenario stops at `expect injection`: whatever came inside TLS
        # is the unprompted answer.  A pass accepts only "not answered" classes.
        ok = {"answered-inside-tls": v == "fail" and _tls_up(r) and inside > 0,
              "answered-in-clear": v == "fail" and _tls_up(r) and inside == 0,
              "discarded": v == "pass" and _tls_up(r),
              "dropped": not _tls_up(r)}.get(value, False)
    elif kind == "starttls":
        ok = (value == "ok") == (v == "pass" or _tls_up(r))
    elif kind == "v2hello":
        ok = (value == "understood") == (v == "pass")
    else:
        return f"unknown kind {kind}"
    return None if ok else (f"{r.get('id')}: value {value!r} contradicts verdict {v}, alert {al}, "
                            f"tls {_tls_up(r)}, close {closes}")


def aggregate(per_scenario: list[tuple[str, str, str]]) -> dict:
    """[(scenario id, check, value)] of one target -> {check: value}."""
    by_check: dict[str, list] = {}
    for sid, check, value in per_scenario:
        by_check.setdefault(check, []).append((sid, value))
    out = {}
    for check, items in by_check.items():
        if check == "fallback_scsv":
            below = [(s, v) for s, v in items if scenario_check(s)[1] == "scsv-below"]
            controls = [(s, v) for s, v in items if scenario_check(s)[1] == "scsv-control"]

            def rank(v):
                for i, p in enumerate(SCSV_RANK):
                    if v.startswith(p):
                        return i
                return SCSV_RANK.index("error")
            value = min((v for _, v in below), key=rank) if below else None
            bad = [f"{s}: {v}" for s, v in controls if v != "completes"]
            if bad:
                value = f"{value or 'no probe'}; control failed ({'; '.join(bad)})"
            if value is not None:
                out[check] = value
        elif check == "client_renegotiation" or check == "starttls_injection":
            vals = [v for _, v in items]
            worst = [v for v in vals if v in ("accepted", "answered-inside-tls",
                                              "answered-in-clear")]
            out[check] = worst[0] if worst else vals[0]
        elif check == "starttls":
            vals = [v for _, v in items]
            out[check] = "ok" if "ok" in vals else vals[0]
        else:
            out[check] = items[0][1]
    return out


# ----------------------------------------------------------------------------------------------
# Running the engine
def scenario_index(repo: Path, hsprobe: Path) -> list[dict]:
    """lint --json headers of every scenario file under SCENARIO_DIRS."""
    dirs = [str(repo / d) for d in SCENARIO_DIRS if (repo / d).is_dir()]
    p = subprocess.run([str(hsprobe), "lint", "--json", *dirs], capture_output=True, text=True,
                       timeout=60, cwd=repo)
    out = []
    for line in p.stdout.splitlines():
        obj = json.loads(line)
        if obj.get("ok") and obj.get("header"):
            out.append({"file": obj["file"], **obj["header"]})
    return out


def scenarios_for(index: list[dict], peer: str) -> list[dict]:
    return [s for s in index if peer in (s.get("peers") or []) and scenario_check(s["id"])]


def run_target(repo: Path, hsprobe: Path, index: list[dict], peer: str, addr: str,
               max_jobs: int | None, timeout: float = 120) -> dict:
    """Run the target's mapped scenarios in one engine process; returns
    {argv, rc, wall_s, results (raw lines), scenarios: [{id, check, value, verdict, detail,
    contradiction}], findings: {check: value}}."""
    scen = scenarios_for(index, peer)
    res = {"argv": [], "rc": None, "wall_s": 0.0, "results": [], "scenarios": [], "findings": {}}
    if not scen:
        return res
    jobs = max(1, min(max_jobs or 4, 4))
    argv = [str(hsprobe), "run", *[s["file"] for s in scen], "--target", addr, "--quiet",
            "--jobs", str(jobs)]
    res["argv"] = argv
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout, cwd=repo)
        res["rc"], out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = "timeout"
    res["wall_s"] = round(time.monotonic() - t0, 3)
    res["stderr"] = (err or "")[-2000:]
    for line in out.splitlines():
        if line.strip():
            res["results"].append(json.loads(line))
    res["scenarios"], res["findings"] = map_results(res["results"])
    got = {r.get("id") for r in res["results"]}
    for s in scen:
        if s["id"] not in got:
            res["scenarios"].append({"id": s["id"], "check": scenario_check(s["id"])[0],
                                     "value": None, "verdict": "missing",
                                     "detail": "no result line", "contradiction": None})
    return res


def map_results(results: list[dict]):
    """Raw result lines of one target -> (per-scenario rows, {check: value})."""
    rows, triples = [], []
    for r in results:
        for check, kind, value in map_result(r):
            assert check in CHECKS, check
            why = contradiction(r, kind, value)
            if why:
                value = f"inconsistent: {why}"[:200]
            rows.append({"id": r.get("id"), "check": check, "value": value,
                         "verdict": r.get("verdict"), "detail": _detail(r), "contradiction": why})
            triples.append((r.get("id"), check, value))
    return rows, aggregate(triples)
