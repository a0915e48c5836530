"""The MITM role against real tors: a tor client dials the harness, the harness dials a tor relay
and relays cells between them (scenarios/tor/mitm/, scenarios/README.md "MITM role").

Every verdict here has three witnesses: the engine's own (each leg's transcript after the block),
the wire check of both legs (the batch is captured and decrypted exactly as the gate does it),
and the log of the tor that detected the MITM — the client's for everything it refuses, the
relay's for the circuit id it refuses and for the relayed AUTHENTICATE (F24).
"""
import json
import re
from pathlib import Path

import pytest

from hsprobe.batch import run_batch
from hsprobe.peerdesc import load_peer

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]
SCEN = ROOT / "scenarios" / "tor" / "mitm"
CLIENT_CMD = (f"{ROOT}/peers/tor-client/run --run-dir {{dir}} --role initiator --bridge {{addr}} "
              "--fingerprint {fp}")

# Which tor detects what: the log line (client's info.log, or the relay's) each scenario must
# leave in the detecting tor's log.
CLIENT_SAYS = {
    "tor.mitm.transparent": "Received a bad CERTS cell: Link certificate does not match TLS "
                            "certificate",
    "tor.mitm.versions-downgrade-to-server": "Link certificate does not match TLS certificate",
    "tor.mitm.versions-downgrade-to-client": "Link certificate does not match TLS certificate",
    "tor.mitm.certs-drop-cert-4": "The link certificate didn't match the TLS public key",
    "tor.mitm.certs-drop-cert-5": "Received a bad CERTS cell: No Ed25519 link key",
    "tor.mitm.certs-drop-cert-7": "Link certificate does not match TLS certificate",
    "tor.mitm.certs-corrupt-cert-4": "Link certificate does not match TLS certificate",
    "tor.mitm.certs-order-certs": "Link certificate does not match TLS certificate",
    "tor.mitm.certs-swapped-pinned": "RSA + ed25519 identity keys were not as expected",
    "tor.mitm.certs-swapped-unpinned": "without knowing its key. Hoping for the best.",
    "tor.mitm.auth-challenge-dropped": "OR connection is now open, using protocol version 5",
    "tor.mitm.versions-downgrade-unpinned": "OR connection is now open, using protocol version 3",
}
RELAY_SAYS = {
    "tor.mitm.versions-downgrade-unpinned": "Received create cell with unexpected circ_id",
    "tor.mitm.authenticate-relayed": "Some field in the AUTHENTICATE cell body was not as "
                                     "expected",
}


@pytest.fixture(scope="module")
def gate_batch(tmp_path_factory):
    """The MITM scenarios as the gate runs them: tor-relay started in its `mitm` role, a fresh
    tor client per scenario, one capture, the wire check of every result."""
    report = tmp_path_factory.mktemp("mitm-gate")
    desc = load_peer("tor-relay")
    files = sorted(SCEN.glob("*.scn"))
    mitm = [f for f in files if "role:        mitm" in f.read_text()]
    ids = [re.search(r"^id:\s+(\S+)", f.read_text(), re.M).group(1) for f in mitm]
    out = run_batch(desc, desc.serves["mitm"], mitm, ids, report, jobs=4, timeout_s=120)
    return out, report


def test_every_mitm_scenario_passes_with_both_legs_wire_checked(gate_batch):
    out, report = gate_batch
    assert out.engine_rc == 0, out.describe_engine()
    err = out.engine_stderr.read_text(errors="replace")
    assert not any(m in err for m in ("AddressSanitizer", "LeakSanitizer", "runtime error:")), err
    assert out.wire and out.wire["error"] == 0, out.wire
    assert set(out.by_id) == set(CLIENT_SAYS)
    for sid, line in out.by_id.items():
        d = line.obj
        assert d["verdict"] == "pass", (sid, d["message"])
        legs = {c["name"]: c for c in d["evidence"]["connections"]}
        assert set(legs) == {"client", "server"} and legs["client"]["accepted"], sid
        assert not legs["server"]["accepted"]
        # The wire check held both legs against the capture, not just one.
        checked = {c["name"].split(".")[0] for c in d["wire"]["checks"] if "." in c["name"]}
        assert {"client", "server"} <= checked, (sid, checked)
        assert d["wire"]["status"] == "ok", (sid, d["wire"])
        m = d["evidence"]["mitm"]
        assert m["events"] and m["events"][0]["cmd"] == "VERSIONS", sid


def test_the_detecting_tor_says_why(gate_batch):
    out, report = gate_batch
    clients = report / "peers" / "tor-relay-mitm" / "clients"
    relay_log = (report / "peers" / "tor-relay-mitm" / "info.log").read_text(errors="replace")
    for sid, line in out.by_id.items():
        log = (clients / sid / "info.log").read_text(errors="replace")
        assert CLIENT_SAYS[sid] in log, (sid, log[-1500:])
        if sid in RELAY_SAYS:
            assert RELAY_SAYS[sid] in relay_log, sid
    # Who closed first is in the result: the client, right after the relayed CERTS.
    t = out.by_id["tor.mitm.transparent"].obj["evidence"]
    assert t["mitm"]["ended"]["leg"] == "client"
    sent = [c["cmd"] for c in t["connections"][0]["cells"] if c["dir"] == "sent"]
    assert sent[:2] == ["VERSIONS", "CERTS"], sent


def test_hooks_leave_their_mark_on_the_legs(gate_batch):
    out, _ = gate_batch

    def cells(sid, leg, d):
        conn = next(c for c in out.by_id[sid].obj["evidence"]["connections"] if c["name"] == leg)
        return [c for c in conn["cells"] if c["dir"] == d]

    def cert_types(hexcell, width):
        body = bytes.fromhex(hexcell)[width + 3:]
        types, off = [], 1
        for _ in range(body[0]):
            types.append(body[off])
            off += 3 + int.from_bytes(body[off + 1:off + 3], "big")
        return types

    # drop-cert 4: the relay sent 1,2,4,5,7; the client got 1,2,5,7.
    got = next(c for c in cells("tor.mitm.certs-drop-cert-4", "server", "recv") if c["cmd"] == "CERTS")
    put = next(c for c in cells("tor.mitm.certs-drop-cert-4", "client", "sent") if c["cmd"] == "CERTS")
    assert cert_types(got["hex"], 4) == [1, 2, 4, 5, 7] and cert_types(put["hex"], 4) == [1, 2, 5, 7]
    ev = out.by_id["tor.mitm.certs-drop-cert-4"].obj["evidence"]["mitm"]["events"]
    assert [e["action"] for e in ev if e["cmd"] == "CERTS"] == ["mutated"]
    # VERSIONS rewritten to [3] toward the relay: the relay then frames with 2-byte circ ids.
    v = cells("tor.mitm.versions-downgrade-to-server", "server", "sent")[0]
    assert v["hex"] == "0000070002" "0003"
    assert {c["width"] for c in cells("tor.mitm.versions-downgrade-to-server", "server", "recv")[1:]} == {2}
    # Downgraded client leg: what the MITM writes to the client is re-framed at 2 bytes.
    sent = cells("tor.mitm.versions-downgrade-unpinned", "client", "sent")
    assert {c["width"] for c in sent[1:]} == {2}
    dropped = out.by_id["tor.mitm.auth-challenge-dropped"].obj["evidence"]["mitm"]["events"]
    assert [e["action"] for e in dropped if e["cmd"] == "AUTH_CHALLENGE"] == ["dropped"]
    assert "AUTH_CHALLENGE" not in [c["cmd"] for c in cells("tor.mitm.auth-challenge-dropped",
                                                            "client", "sent")]


def _run(run_hsprobe, tor_relay, tmp_path, files, extra=(), cmd=CLIENT_CMD, timeout=90):
    res = tmp_path / "r.jsonl"
    r = run_hsprobe(["run", *files, "--target", tor_relay.addr, "--target-fp", tor_relay.rsa_fp,
                     "--peer-cmd", cmd, "--peer-dir", tmp_path / "peers", "--results", res,
                     "--quiet", *extra], timeout=timeout)
    return r, {d["id"]: d for d in map(json.loads, res.read_text().splitlines())}


def test_negating_the_last_expectation_fails_every_mitm_scenario(run_hsprobe, tor_relay, tmp_path):
    files = sorted(SCEN.glob("*.scn"))
    r, res = _run(run_hsprobe, tor_relay, tmp_path, files, ["--negate-last-expect", "--jobs", "6"])
    assert r.rc == 1, r.describe()
    assert len(res) == len(files)
    for sid, d in res.items():
        assert d["verdict"] == "fail" and d["negated"], (sid, d["message"])
        assert "negated" in d["message"]


def test_relayed_authenticate_is_refused_by_the_relay(run_hsprobe, tor_relay, tmp_path):
    r, res = _run(run_hsprobe, tor_relay, tmp_path, [SCEN / "authenticate-relayed.scn"])
    d = res["tor.mitm.authenticate-relayed"]
    assert d["verdict"] == "pass", d["message"]
    legs = {c["name"]: c for c in d["evidence"]["connections"]}
    ri_auth = next(c["hex"] for c in legs["accepted1"]["cells"]
                   if c["dir"] == "recv" and c["cmd"] == "AUTHENTICATE")
    relayed = next(c["hex"] for c in legs["victim"]["cells"]
                   if c["dir"] == "sent" and c["cmd"] == "AUTHENTICATE")
    assert ri_auth == relayed  # the very bytes the relay signed, unchanged
    log = (tor_relay.run_dir / "info.log").read_text(errors="replace")
    assert "Some field in the AUTHENTICATE cell body was not as expected" in log


def test_a_client_that_never_connects_is_an_error_with_its_log(run_hsprobe, tor_relay, tmp_path):
    cmd = CLIENT_CMD.replace("{addr}", "127.0.0.1:9")  # the client dials a port nobody serves
    scen = tmp_path / "s.scn"
    scen.write_text((SCEN / "transparent.scn").read_text()
                    .replace("accept within 20s", "accept within 3s"))
    r, res = _run(run_hsprobe, tor_relay, tmp_path, [scen], cmd=cmd, timeout=30)
    assert r.rc == 4, r.describe()
    d = res["tor.mitm.transparent"]
    assert d["verdict"] == "error" and d["outcome"]["kind"] == "harness-error"
    assert "never connected" in d["message"] and "launcher.log" in d["message"]
    assert "[notice]" in d["message"], d["message"]  # the client's own log lines are quoted


def test_pin_target_needs_the_targets_fingerprint(run_hsprobe, tor_relay, tmp_path):
    res = tmp_path / "r.jsonl"
    r = run_hsprobe(["run", SCEN / "transparent.scn", "--target", tor_relay.addr, "--peer-cmd",
                     CLIENT_CMD, "--peer-dir", tmp_path / "p", "--results", res, "--quiet"],
                    timeout=30)
    assert r.rc == 4, r.describe()
    d = json.loads(res.read_text())
    assert d["verdict"] == "error" and "--target-fp" in d["message"]
