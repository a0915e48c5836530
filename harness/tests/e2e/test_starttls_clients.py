"""The responder role for STARTTLS against real clients (tls-downgrade.md §1, stripping and
response injection): the engine plays the server and starts the client per scenario
(peers/curl-smtp/run through --peer-cmd).  The client's own output in its launcher.log is the
second, independent witness of what it decided.
"""
import json
import shutil
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")]

ROOT = Path(__file__).resolve().parents[3]
SMTP = ROOT / "scenarios" / "starttls" / "smtp"
STRIP = SMTP / "client-strip-capability.scn"
CURL_SMTP = f"{ROOT}/peers/curl-smtp/run --run-dir {{dir}} --role initiator --connect {{addr}} --max-time 8"


def _run(run_hsprobe, tmp_path, files, peer_cmd=CURL_SMTP, extra=(), check=True):
    res = tmp_path / "r.jsonl"
    r = run_hsprobe(["run", *files, "--peer-cmd", peer_cmd, "--peer-dir", tmp_path / "peers",
                     "--results", res, "--quiet", *extra], timeout=60, check=check)
    return r, {d["id"]: d for d in map(json.loads, res.read_text().splitlines())}


def _client_log(tmp_path, scen_id):
    return (tmp_path / "peers" / scen_id / "launcher.log").read_text(errors="replace")


def test_curl_with_ssl_reqd_quits_when_starttls_is_stripped(run_hsprobe, tmp_path):
    r, res = _run(run_hsprobe, tmp_path, [STRIP])
    assert r.rc == 0, r.describe()
    d = res["starttls.smtp.client-strip-capability"]
    assert d["verdict"] == "pass" and d["outcome"]["kind"] == "close", d
    conn = d["evidence"]["connections"][0]
    assert conn["accepted"] and conn["tls"] is None  # never left clear text
    got = b"".join(bytes.fromhex(c["hex"]) for c in conn["cells"] if c["dir"] == "recv")
    assert got.startswith(b"EHLO ") and got.count(b"\r\n") == 1, got  # EHLO, then nothing
    assert b"s3cret" not in got and b"MAIL FROM" not in got and b"AUTH" not in got
    log = _client_log(tmp_path, d["id"])
    assert "STARTTLS not supported" in log, log  # curl's own reason for giving up
    assert "client exit status 64" in log, log   # CURLE_USE_SSL_FAILED


def test_negating_the_last_expectation_fails_the_strip_case(run_hsprobe, tmp_path):
    r, res = _run(run_hsprobe, tmp_path, [STRIP], extra=["--negate-last-expect"], check=False)
    assert r.rc == 1, r.describe()
    d = res["starttls.smtp.client-strip-capability"]
    assert d["negated"] is True and d["verdict"] == "fail", d
    assert d["failed_step"] is not None


def test_the_honest_path_logs_in_only_inside_tls(run_hsprobe, tmp_path):
    r, res = _run(run_hsprobe, tmp_path, [SMTP / "client-honest-path.scn",
                                          SMTP / "client-response-injection.scn"])
    assert r.rc == 0, r.describe()
    ok = res["starttls.smtp.client-honest-path"]
    assert ok["verdict"] == "pass", ok
    conn = ok["evidence"]["connections"][0]
    assert conn["tls"] and conn["tls"]["version"].startswith("TLS"), conn["tls"]
    inj = res["starttls.smtp.client-response-injection"]
    assert inj["verdict"] == "pass" and inj["outcome"]["kind"] == "close", inj
    assert "Weird server reply" in _client_log(tmp_path, inj["id"])  # curl's CVE-2021-22947 check


def test_a_client_that_never_connects_is_an_error_quoting_its_output(run_hsprobe, tmp_path):
    # curl is pointed at a port nobody listens on: it fails at once, the harness waits out its
    # accept bound (not longer) and quotes what curl printed.
    scen = tmp_path / "s.scn"
    scen.write_text(STRIP.read_text().replace("accept within 10s", "accept within 2s"))
    cmd = CURL_SMTP.replace("--connect {addr}", "--connect 127.0.0.1:9")
    t0 = time.monotonic()
    r, res = _run(run_hsprobe, tmp_path, [scen], peer_cmd=cmd, check=False)
    took = time.monotonic() - t0
    assert r.rc == 4, r.describe()
    d = res["starttls.smtp.client-strip-capability"]
    assert d["verdict"] == "error" and d["outcome"]["kind"] == "harness-error", d
    assert "never connected" in d["message"] and "launcher.log" in d["message"], d["message"]
    assert "Failed to connect to 127.0.0.1 port 9" in d["message"], d["message"]
    assert took < 15, f"took {took:.1f} s"
