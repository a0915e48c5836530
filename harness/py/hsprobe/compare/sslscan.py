"""sslscan 2.0.7: run it (protocol and renegotiation/fallback checks, no cipher list) and
normalise its text report (its XML has no fallback element)."""

import re

from hsprobe.compare.checks import NOT_TESTED
from hsprobe.compare.runner import run_tool

STARTTLS = {"smtp-starttls": "--starttls-smtp", "imap-starttls": "--starttls-imap",
            "pop3-starttls": "--starttls-pop3", "xmpp-starttls": "--starttls-xmpp"}


def argv(host, port, proto):
    a = ["sslscan", "--no-colour", "--no-ciphersuites", "--no-groups", "--no-heartbleed",
         "--no-check-certificate"]
    if proto in STARTTLS:
        a.append(STARTTLS[proto])
    return [*a, f"{host}:{port}"]


def _section(text, title):
    """The first non-empty line after a `title:` heading."""
    m = re.search(rf"^\s*{re.escape(title)}:\s*\n\s*(\S[^\n]*)", text, re.M)
    return m.group(1).strip() if m else None


def normalise(text: str) -> dict:
    fb = _section(text, "TLS Fallback SCSV")
    rn = _section(text, "TLS renegotiation")
    out = {"raw": {"fallback": fb, "renegotiation": rn}}
    out["fallback_scsv"] = ("enforced" if fb == "Server supports TLS Fallback SCSV" else
                            "ignored" if fb == "Server does not support TLS Fallback SCSV" else
                            fb or "no result")
    out["secure_renegotiation"] = ("yes" if rn == "Secure session renegotiation supported" else
                                   "no" if rn and rn.startswith("Insecure") else
                                   rn or "no result")
    out["client_renegotiation"] = NOT_TESTED
    errors = [line.strip() for line in text.splitlines()
              if re.search(r"error|fail|couldn't|could not|not support starttls", line, re.I)]
    out["starttls"] = "; ".join(errors[:3]) if errors else "ok"
    out["starttls_injection"] = NOT_TESTED
    out["sslv2_compat_hello"] = NOT_TESTED
    return out


def scan(host, port, proto, timeout=60, hostname=None) -> dict:
    """hostname replaces host in the target argument (sslscan --starttls-xmpp addresses the
    stream to it: prosody only knows "localhost")."""
    if proto not in STARTTLS and proto != "tls":
        return {"argv": [], "rc": None, "wall_s": 0.0, "output": "",
                "findings": {c: NOT_TESTED for c in ("fallback_scsv", "secure_renegotiation",
                                                     "client_renegotiation", "starttls_injection",
                                                     "sslv2_compat_hello")}
                | {"starttls": f"no STARTTLS option for {proto}"}}
    res = run_tool(argv(hostname or host, port, proto), timeout)
    res["findings"] = normalise(res["output"])
    if proto == "tls":
        res["findings"]["starttls"] = "n/a"
    return res
