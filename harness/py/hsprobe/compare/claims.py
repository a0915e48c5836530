"""Confirm or refute, from one comparison run, the known-wrong findings spec/tls-downgrade.md §4
lists for testssl.sh 3.0.8 and sslscan 2.0.7.  Each verdict cites the tool output it rests on;
a claim this run's targets cannot decide is "inconclusive", never guessed."""

from hsprobe.compare import sslscan, testssl


def _f(targets, peer, tool, check):
    t = targets.get(peer)
    return None if t is None else t["checks"][check][tool]


def _raw(targets, peer, tool, key):
    t = targets.get(peer)
    return None if t is None else t["tools"][tool]["findings"].get("raw", {}).get(key)


def _claim(text, ok, evidence, decided=True):
    return {"claim": text, "verdict": ("confirmed" if ok else "refuted") if decided
            else "inconclusive", "evidence": evidence}


def evaluate(targets, started) -> list:
    """Every claim this run can decide; a claim whose evaluation fails is reported, not fatal."""
    out = []
    try:
        _evaluate(targets, started, out)
    except Exception as e:  # keep the run's data: the report is written either way
        out.append({"claim": "(claim evaluation)", "verdict": "error",
                    "evidence": f"{type(e).__name__}: {e}"})
    return out


def _evaluate(targets, started, out):
    # 1. Neither tool probes STARTTLS injection: identical findings for bad and fixed twins.
    pairs = [(f"{p}-inject-bad", f"{p}-inject-fixed")
             for p in ("smtp", "imap", "pop3", "nntp", "xmpp")]
    have = [(b, f) for b, f in pairs if b in targets and f in targets]
    if have:
        same = all({k: v for k, v in targets[b]["tools"][tool]["findings"].items() if k != "raw"}
                   == {k: v for k, v in targets[f]["tools"][tool]["findings"].items() if k != "raw"}
                   for b, f in have for tool in ("testssl", "sslscan"))
        out.append(_claim(
            "neither tool probes STARTTLS command injection", same,
            f"normalised findings identical for {', '.join(b for b, _ in have)} (answer injected "
            "commands inside TLS) and their fixed twins; no injection check in either report"))
    # 1b. Neither reports acceptance of an SSLv2-format hello carrying a TLS version.
    if "openssl-tls10" in targets:
        texts = [targets["openssl-tls10"]["tools"][t]["output"] for t in ("testssl", "sslscan")]
        mentions = [t for t in texts if "v2-format" in t.lower() or "compat" in t.lower()]
        out.append(_claim(
            "neither tool tests an SSLv2-format ClientHello carrying a TLS version", not mentions,
            "openssl-tls10 accepts such a hello (spec §3 table); testssl's only SSLv2 line is "
            f"{_raw_line(texts[0], 'SSLv2')!r}, sslscan's {_raw_line(texts[1], 'SSLv2')!r}: both "
            "are about the SSL 2.0 protocol, not the compatible hello"))
    # 2. sslscan's renegotiation check uses a TLS 1.0 hello: TLS 1.2+-only servers look bad.
    if "openssl-www" in targets:
        rn = _raw(targets, "openssl-www", "sslscan", "renegotiation")
        out.append(_claim(
            "sslscan: a TLS 1.2+-only server's renegotiation looks 'not supported'",
            rn is not None and "not supported" in rn.lower(),
            f"openssl-www (TLS 1.2-1.3, RFC 5746 advertised): sslscan says {rn!r}"))
    # 3. sslscan does not test client-initiated renegotiation: same line for a server that
    #    refuses it and servers that accept it (all offering TLS 1.0, so claim 2 does not apply).
    if "openssl-tls10" in targets and "gnutls-serv" in targets:
        lines = {p: _raw(targets, p, "sslscan", "renegotiation")
                 for p in ("openssl-tls10", "gnutls-serv", "gnutls-serv-tls12") if p in targets}
        out.append(_claim(
            "sslscan does not test client-initiated renegotiation", len(set(lines.values())) == 1,
            "; ".join(f"{p}: {v!r}" for p, v in lines.items())
            + " — openssl-tls10 (s_server -www) refuses client renegotiation, gnutls-serv "
            "accepts it"))
    # 4. sslscan cannot tell alert 86 from a bare close.
    if "scsv-enforced" in targets and "scsv-bare-close" in targets:
        a = _f(targets, "scsv-enforced", "sslscan", "fallback_scsv")
        b = _f(targets, "scsv-bare-close", "sslscan", "fallback_scsv")
        out.append(_claim("sslscan cannot tell alert 86 from a bare close", a == b,
                          f"scsv-enforced (alert 86): {a!r}; scsv-bare-close (no alert): {b!r}"))
    # 5. testssl skips the SCSV test when nothing below TLS 1.2 is offered.
    if "openssl-www" in targets:
        fb = _raw(targets, "openssl-www", "testssl", "fallback_SCSV")
        out.append(_claim(
            "testssl skips the SCSV test when nothing below TLS 1.2 is offered",
            fb is not None and not fb.startswith("supported") and "vulnerable" not in fb.lower(),
            f"openssl-www (TLS 1.2-1.3, answers 1.2+SCSV with alert 86): testssl says {fb!r}"))
    # 6. testssl can call a server without RFC 5746 "not vulnerable" to client renegotiation.
    if "gnutls-serv-unsafe-reneg" in targets:
        cr = _raw(targets, "gnutls-serv-unsafe-reneg", "testssl", "secure_client_renego")
        sr = _raw(targets, "gnutls-serv-unsafe-reneg", "testssl", "secure_renego")
        out.append(_claim(
            "testssl can report a server without RFC 5746 as not vulnerable to client "
            "renegotiation", cr is not None and cr.startswith("not vulnerable"),
            f"gnutls-serv-unsafe-reneg (no RFC 5746, accepts legacy client renegotiation): "
            f"secure_renego {sr!r}, secure_client_renego {cr!r}"))
    # 7. XMPP host names.
    if "prosody" in started and "prosody" in targets:
        f = started["prosody"]
        t_no = testssl.scan(f.host, f.port, "xmpp-starttls", xmpphost=None, timeout=30)
        s_ip = sslscan.scan(f.host, f.port, "xmpp-starttls")
        t_yes = targets["prosody"]["tools"]["testssl"]["findings"]
        s_name = targets["prosody"]["tools"]["sslscan"]["findings"]
        out.append(_claim(
            "testssl against prosody needs --xmpphost localhost",
            t_no["findings"].get("secure_renego") != t_yes.get("secure_renego")
            or t_no["rc"] != 0,
            ("without --xmpphost: no result within 30 s (killed)" if t_no["rc"] is None else
             f"without --xmpphost: rc {t_no['rc']}, {_short(t_no)}") + "; with it: "
            f"secure_renego {t_yes.get('secure_renegotiation')!r}"))
        out.append(_claim(
            "sslscan --starttls-xmpp needs the host name localhost",
            s_ip["findings"].get("secure_renegotiation") != s_name.get("secure_renegotiation"),
            f"127.0.0.1: {_short(s_ip)}; localhost: renegotiation "
            f"{s_name.get('secure_renegotiation')!r}"))
    return out


def _raw_line(text, word):
    for line in text.splitlines():
        if line.strip().startswith(word):
            return " ".join(line.split())
    return None


def _short(res):
    f = res.get("findings", {})
    return (f"fallback {f.get('fallback_scsv')!r}, secure renegotiation "
            f"{f.get('secure_renegotiation')!r}, problems {f.get('starttls')!r}")[:300]


# What hsprobe says on the targets that decide each claim (claim text -> (peer, check) cases).
CLAIM_CASES = {
    "neither tool probes STARTTLS command injection":
        [(f"{p}-inject-{v}", "starttls_injection")
         for p in ("smtp", "imap", "pop3", "nntp", "xmpp") for v in ("bad", "fixed")],
    "neither tool tests an SSLv2-format ClientHello carrying a TLS version":
        [("openssl-tls10", "sslv2_compat_hello"), ("gnutls-serv", "sslv2_compat_hello")],
    "sslscan: a TLS 1.2+-only server's renegotiation looks 'not supported'":
        [("openssl-www", "secure_renegotiation"), ("openssl-client-reneg", "secure_renegotiation"),
         ("openssl-legacy-reneg", "secure_renegotiation")],
    "sslscan does not test client-initiated renegotiation":
        [("openssl-tls10", "client_renegotiation"), ("gnutls-serv", "client_renegotiation"),
         ("gnutls-serv-tls12", "client_renegotiation")],
    "sslscan cannot tell alert 86 from a bare close":
        [("scsv-enforced", "fallback_scsv"), ("scsv-bare-close", "fallback_scsv")],
    "testssl skips the SCSV test when nothing below TLS 1.2 is offered":
        [("openssl-www", "fallback_scsv"), ("openssl-client-reneg", "fallback_scsv"),
         ("openssl-legacy-reneg", "fallback_scsv")],
    "testssl can report a server without RFC 5746 as not vulnerable to client renegotiation":
        [("gnutls-serv-unsafe-reneg", "client_renegotiation"),
         ("gnutls-serv-unsafe-reneg", "secure_renegotiation")],
}


def hsprobe_answers(claims: list, targets: dict) -> None:
    """Adds to each claim with cases: "hsprobe" (each case: hsprobe's value vs the truth) and
    "hsprobe_right" (True: right on every case with a known truth; False: wrong on one; None:
    no hsprobe value on any case)."""
    for c in claims:
        cases = CLAIM_CASES.get(c["claim"])
        if not cases:
            continue
        parts, verdicts = [], []
        for peer, check in cases:
            t = targets.get(peer)
            if t is None:
                continue
            cell = t["checks"][check]
            hv, tv = cell.get("hsprobe"), cell.get("truth")
            if hv is None:
                parts.append(f"{peer} {check}: no hsprobe scenario")
                continue
            ok = None if tv in (None, "?") else hv == tv
            verdicts.append(ok)
            parts.append(f"{peer} {check}: hsprobe {hv!r}, truth {tv!r}"
                         + ("" if ok is None else " =" if ok else " !"))
        c["hsprobe"] = "; ".join(parts)
        known = [v for v in verdicts if v is not None]
        c["hsprobe_right"] = (None if not known else all(known))
