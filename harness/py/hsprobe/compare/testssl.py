"""testssl.sh 3.0.8: run the targeted checks (-p -R -Z -O) and normalise its flat JSON."""

import json
import re
import shutil
import tempfile
from pathlib import Path

from hsprobe.compare.checks import NOT_TESTED
from hsprobe.compare.runner import run_tool

STARTTLS = {"smtp-starttls": "smtp", "imap-starttls": "imap", "pop3-starttls": "pop3",
            "nntp-starttls": "nntp", "xmpp-starttls": "xmpp"}


def argv(host, port, proto, jsonfile, xmpphost="localhost"):
    a = ["testssl", "--quiet", "--color", "0", "--nodns", "none", "--warnings", "off",
         "--jsonfile", str(jsonfile)]
    if proto in STARTTLS:
        a += ["-t", STARTTLS[proto]]
        if proto == "xmpp-starttls" and xmpphost:
            a += ["--xmpphost", xmpphost]
    return [*a, "-p", "-R", "-Z", "-O", f"{host}:{port}"]


def normalise(findings: list) -> dict:
    by_id = {f.get("id"): f.get("finding", "") for f in findings}
    out = {"raw": {k: by_id[k] for k in ("fallback_SCSV", "secure_renego",
                                         "secure_client_renego", "service") if k in by_id}}
    fb = by_id.get("fallback_SCSV")
    if fb is None:
        out["fallback_scsv"] = "no result"
    elif fb.startswith("supported"):
        out["fallback_scsv"] = "enforced"
    elif "not supported" in fb.lower() or "vulnerable" in fb.lower():
        out["fallback_scsv"] = "ignored"
    else:
        out["fallback_scsv"] = fb
    sr = by_id.get("secure_renego")
    out["secure_renegotiation"] = ("yes" if sr == "supported" else
                                   "no" if sr and "not supported" in sr.lower() else
                                   sr or "no result")
    cr = by_id.get("secure_client_renego")
    out["client_renegotiation"] = ("refused" if cr == "not vulnerable" else
                                   "accepted" if cr and "vulnerable" in cr.lower() else
                                   cr or "no result")
    problems = [f"{f['id']}: {f.get('finding', '')}" for f in findings
                if f.get("severity") in ("FATAL", "WARN") and f.get("id") != "engine_problem"]
    out["starttls"] = "; ".join(problems) if problems else "ok"
    out["starttls_injection"] = NOT_TESTED
    out["sslv2_compat_hello"] = NOT_TESTED
    return out


def scan(host, port, proto, timeout=120, xmpphost="localhost") -> dict:
    with tempfile.TemporaryDirectory(prefix="hsprobe-testssl-") as tmp:
        jf = Path(tmp) / "out.json"
        res = run_tool(argv(host, port, proto, jf, xmpphost), timeout, cwd=tmp)
        try:
            findings = json.loads(jf.read_text())
        except (OSError, ValueError):
            findings = []
    # testssl keeps its work directory (hard-coded /tmp/testssl.XXXXXX) when a check fails and
    # names it in the finding; it is ours to remove.
    for d in set(re.findall(r"/tmp/testssl\.[A-Za-z0-9]{6}", res["output"])):
        shutil.rmtree(d, ignore_errors=True)
    res["findings"] = normalise(findings) if findings else {"error": "no JSON written"}
    if proto not in STARTTLS:
        res["findings"]["starttls"] = "n/a"
    return res
