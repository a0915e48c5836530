"""hsprobe's column of harness/py/compare_tools.py: engine result lines -> check values
(hsprobe.compare.hsprobe_run).  No peer is started: the fixture holds real result lines captured
by comparison runs (compare_tools.py --out ...: FILE.hsprobe.jsonl, one line per behaviour
class, unedited; "peer" is the target the line came from; the renegotiation and injection lines
were captured again once the engine wrote its judgements as fields)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from hsprobe.compare.checks import CHECKS, agrees
from hsprobe.compare.hsprobe_run import (INJECTION_CLASSES, contradiction, map_result,
                                         map_results, scenario_check)
from hsprobe.compare.truth import truth

FIXTURE = Path(__file__).with_name("fixtures") / "compare_hsprobe_results.jsonl"
LINES = [json.loads(x) for x in FIXTURE.read_text().splitlines() if x.strip()]

# (target, scenario id) -> the value its result line must map to (read off each line by hand).
EXPECTED = {
    ("scsv-bare-close", "tls.scsv.tls12-below-tls13"): "refused-no-alert",
    ("scsv-ignored", "tls.scsv.tls12-below-tls13"): "ignored",
    ("scsv-ignored-tls12", "tls.scsv.tls11-below-tls12"): "ignored",
    ("scsv-ignored-tls12", "tls.scsv.at-best-version"): "completes",
    ("openssl-www", "tls.scsv.tls12-below-tls13"): "enforced",
    ("openssl-www", "tls.scsv.tls13-with-scsv"): "completes",
    ("openssl-www", "tls.renegotiation.client-initiated-refused"): "refused",
    ("openssl-www", "tls.renegotiation.ri-advertised"): "yes",
    ("gnutls-serv-unsafe-reneg", "tls.renegotiation.ri-advertised"): "no",
    ("gnutls-serv-unsafe-reneg", "tls.renegotiation.client-initiated-refused"): "accepted",
    ("gnutls-serv", "tls.renegotiation.client-initiated-refused"): "accepted",
    ("smtp-inject-bad", "starttls.smtp.pipelined-injection"): "answered-inside-tls",
    ("smtp-inject-fixed", "starttls.smtp.pipelined-injection"): "discarded",
    ("postfix", "starttls.smtp.pipelined-injection"): "discarded",
    ("prosody", "starttls.xmpp.renegotiation-closes"): "refused",
    ("xmpp-reneg-accept", "starttls.xmpp.renegotiation-closes"): "accepted",
    ("xmpp-reneg-close", "starttls.xmpp.renegotiation-closes"): "refused",
}

# Every value a kind can take that the raw evidence can tell apart ("accepted" and "no-answer"
# of a renegotiation cannot be: no alert, no close, the second ClientHello sent, either way).
VOCAB = {
    "scsv-below": ["enforced", "ignored", "refused-no-alert", "other-alert handshake_failure"],
    "scsv-control": ["completes", "refused at best version: x"],
    "ri": ["yes", "no"],
    "reneg": ["accepted", "refused"],
    "injection": list(INJECTION_CLASSES.values()),
    "starttls": ["ok", "failed: x"],
}


def _id(r):
    return f"{r['peer']}:{r['id']}"


def test_fixture_covers_expected():
    assert {(r["peer"], r["id"]) for r in LINES} == set(EXPECTED)


@pytest.mark.parametrize("r", LINES, ids=_id)
def test_mapping(r):
    got = {check: value for check, _, value in map_result(r)}
    check = scenario_check(r["id"])[0]
    assert got[check] == EXPECTED[(r["peer"], r["id"])], r["outcome"]
    if r["protocol"].endswith("-starttls"):
        assert got["starttls"] == "ok"  # every fixture line got through STARTTLS
    assert set(got) <= set(CHECKS)


@pytest.mark.parametrize("r", LINES, ids=_id)
def test_mapped_value_does_not_contradict_the_result(r):
    for check, kind, value in map_result(r):
        assert contradiction(r, kind, value) is None, (check, value)


@pytest.mark.parametrize("r", LINES, ids=_id)
def test_every_other_value_contradicts_the_result(r):
    """The consistency check is not vacuous: any value other than the mapped one is caught."""
    for check, kind, value in map_result(r):
        for other in VOCAB[kind]:
            if other != value:
                assert contradiction(r, kind, other) is not None, (check, other)


def test_a_contradicted_value_is_not_printed():
    """An engine line whose text and structure disagree (here: the alert-86 line of openssl-www
    turned into a failure whose detail says the handshake completed, its alert kept) maps to
    "inconsistent: ...", not to a value the table would compare with the truth."""
    r = copy.deepcopy(next(x for x in LINES if (x["peer"], x["id"]) ==
                           ("openssl-www", "tls.scsv.tls12-below-tls13")))
    r["verdict"] = "fail"
    r["outcome"]["detail"] = "the TLS handshake completed (TLS1.2, AES-256-GCM, ECDHE-RSA)"
    assert map_result(r)[0][2] == "ignored"
    rows, findings = map_results([r])
    assert rows[0]["contradiction"] and findings["fallback_scsv"].startswith("inconsistent:")
    assert agrees(findings["fallback_scsv"], "ignored") == "!"


def test_per_target_values_agree_with_the_truth():
    """Folded per target, the fixture's values equal the truth wherever it is established."""
    by_peer: dict[str, list] = {}
    for r in LINES:
        by_peer.setdefault(r["peer"], []).append(r)
    compared = 0
    for peer, rs in by_peer.items():
        _, findings = map_results(rs)
        for check, value in findings.items():
            tv, _ = truth(peer, check)
            if tv != "?":
                compared += 1
                assert value == tv, (peer, check)
    assert compared >= 15


def test_scsv_worst_probe_wins_and_failed_control_shows():
    ignored = next(x for x in LINES if (x["peer"], x["id"]) ==
                   ("scsv-ignored", "tls.scsv.tls12-below-tls13"))
    enforced = next(x for x in LINES if (x["peer"], x["id"]) ==
                    ("openssl-www", "tls.scsv.tls12-below-tls13"))
    control = copy.deepcopy(next(x for x in LINES if (x["peer"], x["id"]) ==
                                 ("openssl-www", "tls.scsv.tls13-with-scsv")))
    assert map_results([enforced, ignored])[1]["fallback_scsv"] == "ignored"
    control["verdict"] = "fail"
    control["outcome"] = {"kind": "tls-failure", "detail": "TLS alert fatal 86 "
                          "(inappropriate_fallback)", "alert": {"level": "fatal", "code": 86,
                                                                "name": "inappropriate_fallback"}}
    for c in control["evidence"]["connections"]:
        c["tls"] = None
    v = map_results([enforced, control])[1]["fallback_scsv"]
    assert v.startswith("enforced; control failed (tls.scsv.tls13-with-scsv")
    assert agrees(v, "enforced") == "!"


def test_scenarios_of_other_branches_plug_in_by_id():
    assert scenario_check("starttls.imap.pipelined-injection") == ("starttls_injection",
                                                                   "injection")
    assert scenario_check("starttls.pop3.pipelined-injection")[0] == "starttls_injection"
    assert scenario_check("starttls.nntp.handshake") == ("starttls", "starttls")
    assert scenario_check("tls.compat-hello.accept-tls12")[0] == "sslv2_compat_hello"
    assert scenario_check("tls.compat-hello.sslv2-specs-only") is None  # a refusal probe
    assert scenario_check("tls.scsv.no-such-probe") is None


def test_judgement_fields_decide_not_the_message():
    """The injection and renegotiation values come from the connection's fields: a line whose
    message says another class still maps to what the field says, and a line without the field
    is "not reached" rather than guessed from the text."""
    src = next(r for r in LINES if r["id"] == "starttls.smtp.pipelined-injection"
               and r["peer"] == "smtp-inject-bad")
    r = copy.deepcopy(src)
    r["outcome"]["detail"] = "injection class 1 (discarded): edited text"
    assert dict((c, v) for c, _, v in map_result(r))["starttls_injection"] == \
        "answered-inside-tls"
    for c in r["evidence"]["connections"]:
        c.pop("injection", None)
    assert dict((c, v) for c, _, v in map_result(r))["starttls_injection"].startswith(
        "not reached")
    src = next(r for r in LINES if r["id"] == "tls.renegotiation.client-initiated-refused"
               and r["peer"] == "openssl-www")
    r = copy.deepcopy(src)
    r["evidence"]["connections"][0]["renegotiation"] = "accepted"
    assert dict((c, v) for c, _, v in map_result(r))["client_renegotiation"] == "accepted"
    # ... which the raw evidence (its no_renegotiation alert) then contradicts.
    assert contradiction(r, "reneg", "accepted") is not None
