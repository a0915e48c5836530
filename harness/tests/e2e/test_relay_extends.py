"""The responder role against an authenticating relay (tor-link.md §6 R←RI, §7.3).

The engine connects to the session's relay as a client, builds a CREATE_FAST circuit (KDF-TOR,
relay cell crypto) and sends EXTEND2 naming its own listener and identity; the relay connects
back and authenticates.  Two independent witnesses back the engine's verdicts: the relay's own
log (it names the harness's fingerprint as the peer it extended to, and the reason it refused),
and the fact that tor acted on a relay cell at all — a wrong key, counter or digest would make
the EXTEND2 unrecognisable and tor would close the circuit instead of connecting.
"""
import json
import re
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]
SCEN = ROOT / "scenarios" / "tor" / "relay-initiator"


def _run(run_hsprobe, tmp_path, files, target, extra=()):
    res = tmp_path / "r.jsonl"
    r = run_hsprobe(["run", *files, "--target", target, "--results", res, "--quiet", *extra],
                    timeout=60)
    return r, {d["id"]: d for d in map(json.loads, res.read_text().splitlines())}


def _log(tor_relay) -> str:
    return (tor_relay.run_dir / "info.log").read_text(errors="replace")


def test_relay_extends_to_us_and_authenticates(run_hsprobe, tmp_path, tor_relay):
    r, res = _run(run_hsprobe, tmp_path, [SCEN / "relay-authenticates.scn",
                                          SCEN / "extension-completes.scn"], tor_relay.addr)
    assert r.rc == 0, r.describe()
    auth = res["tor.ri.relay-authenticates"]
    assert auth["verdict"] == "pass", auth["message"]
    fp = auth["identity"]["rsa_sha1"]
    # The relay's side: it connected to our identity, and the AUTH_CHALLENGE got type 3.
    log = _log(tor_relay)
    assert re.search(rf"RSA_ID={fp}: Sending authentication type 3", log), log[-3000:]
    conns = {c["name"]: c for c in auth["evidence"]["connections"]}
    assert conns["trigger"]["accepted"] is False and conns["accepted1"]["accepted"] is True
    assert [c["cmd"] for c in conns["trigger"]["cells"]][-1] == "RELAY_EARLY"
    # Each scenario that makes a relay extend has its own identity (the relay would otherwise
    # reuse one scenario's channel for another's circuit).
    ext = res["tor.ri.extension-completes"]
    assert ext["verdict"] == "pass", ext["message"]
    assert ext["identity"]["rsa_sha1"] != fp


def test_a_relay_refusing_to_extend_gives_its_reason_not_a_timeout(run_hsprobe, tmp_path,
                                                                  tor_relay):
    src = (SCEN / "relay-authenticates.scn").read_text()
    bad = src.replace("id:          tor.ri.relay-authenticates", "id:          tmp.zero-id") \
             .replace("send EXTEND2\n", "send EXTEND2 id=zeros:20\n")
    assert bad != src
    f = tmp_path / "zero.scn"
    f.write_text(bad)
    t0 = time.monotonic()
    r, res = _run(run_hsprobe, tmp_path, [f], tor_relay.addr)
    took = time.monotonic() - t0
    d = res["tmp.zero-id"]
    assert d["verdict"] == "fail", d
    assert "DESTROY" in d["message"] and "reason 1 (PROTOCOL)" in d["message"], d["message"]
    assert took < 5, f"took {took:.1f} s: the accept waited out its 10 s instead of the reply"
    # The relay's own account (tor 0.4.9.11's EXTEND2 parser refuses the all-zero RSA id).
    notice = (tor_relay.run_dir / "notice.log").read_text(errors="replace")
    assert "Can't parse extend cell. Closing circuit." in notice, notice[-2000:]


def test_every_relay_initiator_scenario_fails_when_its_last_expectation_is_negated(
        run_hsprobe, tmp_path, tor_relay):
    files = sorted(SCEN.glob("*.scn"))
    r, res = _run(run_hsprobe, tmp_path, files, tor_relay.addr, ["--negate-last-expect"])
    assert len(res) == len(files)
    assert {i: d["verdict"] for i, d in res.items() if d["verdict"] != "fail"} == {}
