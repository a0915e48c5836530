"""The wire check on traffic recorded once against the real relay (fixture relay_recording):
the per-scenario pcapng opens decrypted in tshark with no key-log option, its blocks hold
exactly the scenario's frames and key-log lines, the exporters agree with GnuTLS, and TLS 1.2 /
1.3 / plain / renegotiated connections are demultiplexed and decrypted."""

import hashlib
import json
import subprocess

import pytest

from hsprobe.wire import run_job
from hsprobe.wire.keylog import read_keylog
from hsprobe.wire.pcap import read_pcap
from hsprobe.wire.pcapng import SECRETS_TLS_KEYLOG, read_pcapng, write_pcapng

pytestmark = pytest.mark.e2e


def results(d):
    return {o["id"]: o for o in map(json.loads, (d / "results.jsonl").read_text().splitlines())}


def engine_stream(res, direction, conn=0):
    c = res["evidence"]["connections"][conn]
    return b"".join(bytes.fromhex(x["hex"]) for x in c["cells"] if x["dir"] == direction)


def tshark_plain(path, local_port):
    """Plaintext per direction as tshark shows it: NO key log option, NO decode-as."""
    out = subprocess.run(["tshark", "-r", str(path), "-T", "fields", "-e", "tcp.srcport",
                          "-e", "tcp.dstport", "-e", "data.data"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    got = {"sent": b"", "recv": b""}
    for r in (l.split("\t") for l in out.splitlines()):
        if len(r) > 2 and r[2]:
            d = "sent" if int(r[0]) == local_port else "recv"
            got[d] += b"".join(bytes.fromhex(x) for x in r[2].split(","))
    return got


@pytest.fixture
def checked(run_copy):
    d, job = run_copy
    out = run_job(d, job, write=True)
    return d, job, out


def test_the_recorded_run_is_consistent_with_its_capture(checked):
    d, _job, out = checked
    bad = {out.ids[n]: sc.errors for n, sc in out.checks.items() if sc.errors}
    assert bad == {}
    assert out.batch_errors == []
    assert set(out.seconds) >= {"tshark", "checks", "pcapng"}


def test_pcapng_opens_decrypted_without_any_key_log_option(checked):
    d, _job, _out = checked
    res = results(d)["tor.versions.offer-3-4-5"]
    path = d / res["wire"]["pcapng"]
    assert res["wire"]["pcapng"] == "wire/tor.versions.offer-3-4-5.pcapng"
    port = res["evidence"]["connections"][0]["local_port"]
    got = tshark_plain(path, port)
    assert got["sent"] == engine_stream(res, "sent") and len(got["sent"]) > 1000
    assert got["recv"].startswith(engine_stream(res, "recv")) and len(got["recv"]) > 2000
    # control: the same frames without the secrets block decrypt to nothing
    pcap = read_pcap(d / "capture.pcap")
    contents = read_pcapng(path)
    bare = d / "bare.pcapng"
    write_pcapng(bare, pcap.linktype, contents.frames, [])
    assert tshark_plain(bare, port) == {"sent": b"", "recv": b""}


def test_pcapng_holds_only_the_scenarios_frames_and_key_lines(checked):
    d, job, _out = checked
    res = results(d)["tor.tls.renegotiation-then-handshake"]
    contents = read_pcapng(d / res["wire"]["pcapng"])
    pcap = read_pcap(d / "capture.pcap")
    conn = res["evidence"]["connections"][0]
    port = conn["local_port"]
    from hsprobe.wire.pcap import decode_tcp
    mine = [f for f in pcap.frames
            if (s := decode_tcp(pcap.linktype, f)) and port in (s.sport, s.dport)
            and s.dst != "127.0.0.2"]
    assert [(f.ts_ns, f.data) for f in contents.frames] == [(f.ts_ns, f.data) for f in mine]
    assert contents.linktypes == [pcap.linktype]
    [(stype, secrets)] = contents.secrets
    assert stype == SECRETS_TLS_KEYLOG
    kl = read_keylog(job.keylog)
    assert len(conn["client_randoms"]) == 2            # the refused renegotiation
    assert secrets.decode().splitlines() == kl.lines_for(conn["client_randoms"])
    assert len(secrets.decode().splitlines()) == 1      # one CLIENT_RANDOM: the first handshake


def test_renegotiation_two_client_randoms_one_completed_handshake(checked):
    d, _job, _out = checked
    w = results(d)["tor.tls.renegotiation-then-handshake"]["wire"]
    checks = {c["name"]: c for c in w["checks"]}
    assert checks["main.randoms"]["ok"] and "2 ClientHello(s)" in checks["main.randoms"]["detail"]
    assert checks["main.keylog"]["ok"]
    assert "1 completed handshake" in checks["main.keylog"]["detail"]
    assert checks["main.sent"]["ok"] and checks["main.recv"]["ok"]


def test_the_exporters_agree_with_gnutls(checked):
    """TLSSECRETS the engine got from GnuTLS (gnutls_prf_rfc5705) equal our RFC 5705 PRF
    (TLS 1.2, a SHA-384 suite here) and RFC 8446 exporter (from EXPORTER_SECRET)."""
    d, _job, _out = checked
    for sid, version in (("tor.auth.authenticate-valid-tls12", "TLS1.2"),
                         ("tor.auth.authenticate-valid-tls13", "TLS1.3")):
        res = results(d)[sid]
        assert res["evidence"]["connections"][0]["tls"]["version"] == version
        [auth] = res["wire"]["connections"][0]["authenticate"]
        f = auth["fields"]["tlssecrets"]
        assert f["source"] == "computed" and f["claim"] == f["wire"] == f["derived"], (sid, f)
        assert all(auth["fields"][k]["match"] is True for k in
                   ("cid", "sid", "cid_ed", "sid_ed", "slog", "clog", "scert", "sig")), sid


def test_a_scenario_forced_slog_shows_the_mismatch_and_stays_ok(checked):
    d, _job, _out = checked
    res = results(d)["tor.auth.authenticate-slog-zeros"]
    assert res["wire"]["status"] == "ok" and res["verdict"] == res["engine_verdict"]
    [auth] = res["wire"]["connections"][0]["authenticate"]
    slog = auth["fields"]["slog"]
    assert slog["source"] == "scenario" and slog["match"] is False
    assert slog["wire"] == "00" * 32 and len(slog["derived"]) == 64
    checks = {c["name"]: c for c in res["wire"]["checks"] if c["name"].startswith("main.auth")}
    assert checks["main.auth[sent#0]"]["ok"] and checks["main.auth[sent#0]"]["level"] == "error"
    info = checks["main.auth[sent#0].info"]
    assert not info["ok"] and info["level"] == "info"
    assert f"SLOG: wire {'00' * 32} ≠ wire-derived {slog['derived']} (scenario)" in info["detail"]


def test_plain_tcp_uses_the_raw_payload(checked):
    d, _job, _out = checked
    res = results(d)["tor.framing.http-instead-of-tls"]
    conn = res["evidence"]["connections"][0]
    assert not conn.get("client_randoms") and conn["tls"] is None
    w = res["wire"]
    assert w["status"] == "ok"
    assert w["connections"][0]["bytes"]["sent"] == len(engine_stream(res, "sent")) == 35
    assert any("not a cell stream" in p for p in w["connections"][0]["parse"])
    sent = conn["stream"]["sent"]
    assert sent["sha256"] == hashlib.sha256(engine_stream(res, "sent")).hexdigest()


def test_wire_cells_are_framed_by_the_independent_parser(checked):
    d, _job, _out = checked
    w = results(d)["tor.versions.offer-3-4-5"]["wire"]
    cells = [(c["dir"], c["cmd"], c["width"]) for c in w["connections"][0]["cells"]]
    assert cells[:2] == [("sent", "VERSIONS", 2), ("recv", "VERSIONS", 2)]
    assert ("recv", "CERTS", 4) in cells and ("recv", "AUTH_CHALLENGE", 4) in cells
    assert ("recv", "CREATED_FAST", 4) in cells
