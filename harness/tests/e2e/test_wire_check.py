"""Wire truth end to end: scenarios run against the real tor relay under one capture, then the
wire check (hsprobe.wire) holds every result against the decrypted capture.

The real run must be consistent; each way of lying or losing evidence must turn into a wire
error that says what is wrong: one altered transcript byte (diff at that offset, naming the
engine cell), an altered stream digest, a key log missing one secret, a capture missing one
data-bearing packet, an altered wire-sha256 digest, a tcpdump drop, a missing capture, an
AUTHENTICATE claim that disagrees with the wire.  The offline CLI (hsprobe-wire) and the gate
(a lying engine makes a gate ERROR carrying the diff) are exercised too.
"""

import copy
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hsprobe.results import read_results
from hsprobe.wire import run_job
from hsprobe.wire.pcap import decode_tcp, read_pcap, write_pcap
from hsprobe.wire.record import record_run

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[3]
CLI = REPO / "harness" / "bin" / "hsprobe-wire"
VERSIONS_SHA = hashlib.sha256(bytes.fromhex("0000070006000300040005")).hexdigest()
WIRE_EXPECT_SCN = f"""id:          t.wire-expect
title:       A VERSIONS-only exchange with a declared digest of what we send
role:        initiator
protocol:    tor-link
peers:       tor-relay
spec:        tor-spec §4.1
level:       MUST
requirement: The responder answers a VERSIONS cell with its own.
wire-sha256: main.sent={VERSIONS_SHA}

connect tls=1.3
send VERSIONS versions=3,4,5
expect VERSIONS within 1s
"""


def scenario_files(tmp: Path) -> list[Path]:
    sc = REPO / "scenarios" / "tor"
    files = sorted((sc / "versions").glob("*.scn")) + sorted((sc / "tls").glob("tls12-*.scn"))
    files += [sc / "framing" / "http-instead-of-tls.scn",
              sc / "tls" / "renegotiation-then-handshake.scn",
              sc / "auth" / "authenticate-valid-tls13.scn",
              sc / "auth" / "authenticate-slog-zeros.scn"]
    extra = tmp / "wire-expect.scn"
    extra.write_text(WIRE_EXPECT_SCN)
    return files + [extra]


@pytest.fixture(scope="module")
def recording(tor_relay, hsprobe_bin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wire-e2e")
    files = scenario_files(tmp)
    rec = record_run(hsprobe_bin, files, tor_relay.host, tor_relay.port, tmp / "run")
    assert rec.lines == len(files), rec.engine_stderr
    assert rec.job.stats.dropped == 0, rec.job.stats
    return rec


@pytest.fixture
def run(recording, tmp_path):
    d = tmp_path / "run"
    shutil.copytree(recording.run_dir, d)
    return d, recording.job_for(d)


def objs(d: Path) -> list[dict]:
    return [json.loads(l) for l in (d / "results.jsonl").read_text().splitlines()]


def by_id(d: Path) -> dict:
    return {o["id"]: o for o in objs(d)}


def edit(d: Path, sid: str, fn) -> None:
    """Change one result line (as the engine would have written it) in place."""
    lines = (d / "results.jsonl").read_text().splitlines()
    for i, l in enumerate(lines):
        o = json.loads(l)
        if o["id"] == sid:
            fn(o)
            lines[i] = json.dumps(o)
    (d / "results.jsonl").write_text("\n".join(lines) + "\n")


def check(d, job):
    out = run_job(d, job, write=True)
    return out, by_id(d)


def failed(res: dict) -> dict:
    return {c["name"]: c["detail"] for c in res["wire"]["checks"]
            if not c["ok"] and c["level"] == "error"}


# -- the real run ----------------------------------------------------------------------------------
def test_the_real_run_is_consistent_with_the_wire(run):
    d, job = run
    before = (d / "results.jsonl").read_text().splitlines()
    out, res = check(d, job)
    assert {sid: failed(r) for sid, r in res.items() if r["wire"]["status"] != "ok"} == {}
    assert len(objs(d)) == len(before)                 # no line lost
    lines = read_results(d / "results.jsonl")
    assert [l.errors for l in lines if not l.valid] == []   # schema-valid with wire objects
    for sid, r in res.items():
        assert r["verdict"] == r["engine_verdict"]
        assert (d / r["wire"]["pcapng"]).is_file(), sid
        names = {c["name"] for c in r["wire"]["checks"] if c["ok"]}
        conn = r["evidence"]["connections"][0]
        if conn.get("local_port"):
            assert {"main.capture", "main.tcp", "main.sent", "main.recv"} <= names, sid
        if conn.get("tls"):
            assert {"main.keylog", "main.randoms", "main.tls-cert"} <= names, sid
    assert "expect.main.sent" in {c["name"] for c in res["t.wire-expect"]["wire"]["checks"]
                                  if c["ok"]}
    wj = json.loads((d / "wire.json").read_text())
    assert wj["totals"]["error"] == 0 and wj["totals"]["ok"] == len(res)
    # checking again is idempotent: same statuses, same line count
    check(d, job)
    assert len(objs(d)) == len(before)
    assert all(o["wire"]["status"] == "ok" for o in objs(d))


# -- lies and lost evidence ------------------------------------------------------------------------
def _sent_cells(o):
    return [(i, c) for i, c in enumerate(o["evidence"]["connections"][0]["cells"])
            if c["dir"] == "sent"]


@pytest.mark.parametrize("direction", ["sent", "recv"])
def test_one_altered_cell_byte_is_a_diff_at_that_offset(run, direction):
    d, job = run
    sid = "tor.versions.offer-3-4-5"
    cells = by_id(d)[sid]["evidence"]["connections"][0]["cells"]
    mine = [(i, c) for i, c in enumerate(cells) if c["dir"] == direction]
    k, cell = mine[1]                                  # the second cell of that direction
    at = 5                                             # byte 5 of that cell
    offset = sum(len(c["hex"]) // 2 for _i, c in mine[:1]) + at

    def flip(o):
        c = o["evidence"]["connections"][0]["cells"][k]
        b = bytearray.fromhex(c["hex"])
        b[at] ^= 0x01
        c["hex"] = b.hex()
    edit(d, sid, flip)
    _out, res = check(d, job)
    r = res[sid]
    assert r["verdict"] == "error" and r["engine_verdict"] == "pass"
    assert r["message"].startswith(f"wire check: main.cells.{direction}: {direction} (")
    assert f"first difference at offset {offset} (engine cell #{k}" in r["message"]
    assert r["wire"]["engine_message"].startswith("all expectations met")
    assert list(failed(r)) == [f"main.cells.{direction}"]   # the digests still agree
    [diff] = r["wire"]["connections"][0]["diffs"]
    assert (diff["dir"], diff["offset"]) == (direction, offset)
    assert diff["engine_cell"]["index"] == k and diff["engine_cell"]["offset_in_cell"] == at
    assert diff["engine_cell"]["cmd"] == cell["cmd"]
    rel = offset - diff["context_start"]
    e, w = bytes.fromhex(diff["engine"]), bytes.fromhex(diff["wire"])
    assert e[:rel] == w[:rel] and e[rel] != w[rel] and e[rel + 1:] == w[rel + 1:]
    assert diff["wire_frame"] >= 1
    assert all(o["wire"]["status"] == "ok" for o in objs(d) if o["id"] != sid)


def test_only_the_stream_digest_altered_is_an_error(run):
    d, job = run
    sid = "tor.versions.offer-3-only"

    def alter(o):
        s = o["evidence"]["connections"][0]["stream"]["sent"]
        s["sha256"] = hashlib.sha256(b"something else").hexdigest()
    edit(d, sid, alter)
    _out, res = check(d, job)
    f = failed(res[sid])
    assert list(f) == ["main.sent"]
    assert "only its stream digest does not" in f["main.sent"]
    assert res[sid]["verdict"] == "error"


def test_a_key_log_missing_one_secret_names_it(run):
    d, job = run
    res0 = by_id(d)
    r13 = res0["tor.versions.offer-3-4-5"]["evidence"]["connections"][0]["client_randoms"][0]
    r12 = res0["tor.tls.tls12-dhe-rsa"]["evidence"]["connections"][0]["client_randoms"][0]
    kl = d / "tls-keys.log"
    keep = [l for l in kl.read_text().splitlines()
            if not (l.startswith("SERVER_TRAFFIC_SECRET_0 " + r13)
                    or l.startswith("CLIENT_RANDOM " + r12))]
    assert len(keep) == len(kl.read_text().splitlines()) - 2
    kl.write_text("\n".join(keep) + "\n")
    _out, res = check(d, job)
    f13 = failed(res["tor.versions.offer-3-4-5"])
    assert "lacks SERVER_TRAFFIC_SECRET_0" in f13["main.keylog"]
    assert "could not decrypt" in f13["main.decrypt"]     # and what that cost
    f12 = failed(res["tor.tls.tls12-dhe-rsa"])
    assert "TLS1.2 handshake" in f12["main.keylog"] and "lacks CLIENT_RANDOM" in f12["main.keylog"]
    others = [o for o in objs(d) if o["id"] not in ("tor.versions.offer-3-4-5",
                                                    "tor.tls.tls12-dhe-rsa")]
    assert all(o["wire"]["status"] == "ok" for o in others)


def test_a_capture_missing_one_data_packet_names_the_gap(run):
    d, job = run
    conn = by_id(d)["tor.versions.offer-3-4-5"]["evidence"]["connections"][0]
    pcap = read_pcap(d / "capture.pcap")
    segs = [(f, decode_tcp(pcap.linktype, f)) for f in pcap.frames]
    mine = [(f, s) for f, s in segs if s and s.dport == conn["local_port"]
            and s.dst == job.host]                      # relay -> engine
    syn = next(s for _f, s in mine if s.flags & 0x02)
    data = [(f, s) for f, s in mine if s.payload]
    victim, vseg = data[len(data) // 2]                  # a data packet in the middle
    offset = (vseg.seq - syn.seq - 1) % (1 << 32)
    write_pcap(d / "capture.pcap", pcap.linktype, [f for f in pcap.frames if f is not victim])
    _out, res = check(d, job)
    f = failed(res["tor.versions.offer-3-4-5"])
    assert (f"recv (target → engine): gap at TCP payload offset {offset}, "
            f"{len(vseg.payload)} bytes missing") in f["main.tcp"]


def test_an_altered_wire_expect_digest_is_an_error(run):
    d, job = run
    edit(d, "t.wire-expect", lambda o: o["wire_expect"][0].update(sha256="ab" * 32))
    _out, res = check(d, job)
    f = failed(res["t.wire-expect"])
    assert list(f) == ["expect.main.sent"]
    assert f"declared abababababababab…, wire {VERSIONS_SHA[:16]}…" in f["expect.main.sent"]


def test_tcpdump_drops_make_every_check_of_the_batch_an_error(run):
    d, job = run
    job.stats = copy.copy(job.stats)
    job.stats.dropped = 3
    _out, res = check(d, job)
    for r in res.values():
        assert "3 packets dropped by kernel" in failed(r)["batch"]
        assert r["verdict"] == "error"


def test_a_missing_capture_is_an_error_not_a_pass(run):
    d, job = run
    (d / "capture.pcap").unlink()
    out, res = check(d, job)
    assert all(r["wire"]["status"] == "error" and "does not exist" in failed(r)["batch"]
               for r in res.values())


def test_authenticate_claims_that_disagree_with_the_wire(run):
    d, job = run

    def computed_slog(o):     # the scenario forced SLOG=0; claim it was computed
        o["evidence"]["connections"][0]["cells"][_auth_index(o)]["auth"]["fields"]["slog"][
            "source"] = "computed"

    def other_clog(o):        # a claim that describes other bytes than were sent
        f = o["evidence"]["connections"][0]["cells"][_auth_index(o)]["auth"]["fields"]["clog"]
        f["hex"] = "11" * 32
    edit(d, "tor.auth.authenticate-slog-zeros", computed_slog)
    edit(d, "tor.auth.authenticate-valid-tls13", other_clog)
    _out, res = check(d, job)
    f = failed(res["tor.auth.authenticate-slog-zeros"])
    [(name, detail)] = f.items()
    assert name.startswith("main.auth") and "SLOG: wire " + "00" * 32 in detail
    assert "the engine's computation disagrees with the wire" in detail
    f = failed(res["tor.auth.authenticate-valid-tls13"])
    [(name, detail)] = f.items()
    assert "CLOG: the engine's claim 1111111111111111…" in detail


def _auth_index(o):
    return next(i for i, c in enumerate(o["evidence"]["connections"][0]["cells"])
                if c["cmd"] == "AUTHENTICATE")


def test_lines_outside_the_batch_are_left_byte_for_byte(run):
    d, job = run
    with open(d / "results.jsonl", "a") as f:
        f.write('{"not": "ours"}\n')
        f.write("truncated line from a crash\n")
    before = (d / "results.jsonl").read_text().splitlines()
    out = run_job(d, job, write=True)
    after = (d / "results.jsonl").read_text().splitlines()
    assert len(after) == len(before) and after[-2:] == before[-2:]
    assert len(out.by_line) == len(before) - 2 and all("wire" in json.loads(l)
                                                          for l in after[:-2])


# -- the offline CLI -------------------------------------------------------------------------------
def cli(*args):
    return subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, timeout=120)


def test_cli_rechecks_a_saved_run(run):
    d, job = run
    run_job(d, job, write=True)                        # as the gate leaves it (wire.json etc.)
    p = cli(d)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"{len(objs(d))} results: {len(objs(d))} ok, 0 wire error(s)" in p.stdout
    before = (d / "results.jsonl").read_bytes()
    edit(d, "tor.versions.offer-3-4-5", lambda o: o["evidence"]["connections"][0]["cells"][0]
         .update(hex="0000070006000300040004"))
    p = cli(d, "--json")
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert doc["error"] == 1 and not doc["written"]
    [bad] = [s for s in doc["scenarios"] if s["status"] == "error"]
    assert bad["id"] == "tor.versions.offer-3-4-5"
    assert [e["name"] for e in bad["errors"]] == ["main.cells.sent"]
    assert "offset 10" in bad["errors"][0]["detail"]
    assert (d / "results.jsonl").read_bytes() != before    # our edit, untouched by the check
    p = cli(d, "--write")
    assert p.returncode == 1 and "ERROR  tor.versions.offer-3-4-5" in p.stdout
    assert by_id(d)["tor.versions.offer-3-4-5"]["verdict"] == "error"
    p = subprocess.run([sys.executable, "-m", "hsprobe.wire", str(d)], capture_output=True,
                       text=True, cwd=REPO / "harness" / "py", timeout=120)
    assert p.returncode == 1


def test_cli_usage_errors(run, tmp_path):
    d, job = run
    assert cli(tmp_path).returncode == 2                 # no results.jsonl
    p = cli(d)                                         # no wire.json, no run.json: not captured
    assert p.returncode == 2 and "no capture recorded" in p.stderr
    run_job(d, job, write=True)
    (d / "tls-keys.log").unlink()
    p = cli(d)
    assert p.returncode == 2 and "no key log" in p.stderr
    assert cli("--bogus").returncode == 2
    h = cli("--help")
    assert h.returncode == 0 and "--write" in h.stdout and "exit status" in h.stdout


# -- the gate --------------------------------------------------------------------------------------
LIAR = """#!/usr/bin/python3
# The real engine, then one byte of the first sent cell of each new result line altered:
# an engine whose transcript lies about what it sent.
import json, os, subprocess, sys
args = sys.argv[1:]
res = args[args.index("--results") + 1] if "--results" in args else None
n = len(open(res).read().splitlines()) if res and os.path.exists(res) else 0
rc = subprocess.call([{engine!r}, *args])
if res and args[:1] == ["run"]:
    lines = open(res).read().splitlines()
    for i in range(n, len(lines)):
        o = json.loads(lines[i])
        c = o["evidence"]["connections"][0]["cells"][0]
        c["hex"] = c["hex"][:-2] + "%02x" % (int(c["hex"][-2:], 16) ^ 0xff)
        lines[i] = json.dumps(o)
    open(res, "w").write("\\n".join(lines) + "\\n")
sys.exit(rc)
"""


def test_a_lying_engine_is_a_gate_error_with_the_diff(tmp_path, hsprobe_bin):
    sys.path.insert(0, str(REPO / "harness" / "tests" / "gate"))
    from gate_env import GateEnv, scenario
    liar = tmp_path / "liar.py"
    liar.write_text(LIAR.format(engine=str(hsprobe_bin)))
    liar.chmod(0o755)
    env = GateEnv(tmp_path / "g", peer="tor-relay", launcher=REPO / "peers" / "tor-relay" / "run",
                  engine=liar)
    env.add("a.scn", scenario("t.a", peers="tor-relay"))
    env.baseline("t.a\tpass\n")
    r = env.run()
    assert r.rc == 1, r.out
    assert r.outcome("t.a[tor-relay]") == "error"
    msg = r.message("t.a[tor-relay]")
    assert "wire check failed" in msg and "engine verdict pass" in msg
    assert "main.cells.sent: sent (engine → target): first difference at offset 10" in msg
    assert "engine[0:] 00 00 07 00 06 00 03 00 04 00 fa" in msg
    summary = (r.report / "summary.txt").read_text()
    assert "wire check: 1 results, 0 ok, 1 error" in summary
    html = (r.report / "report.html").read_text()
    assert 'href="wire/t.a.pcapng"' in html and "wire check: error" in html


def test_the_gate_records_wire_truth(tmp_path, hsprobe_bin):
    sys.path.insert(0, str(REPO / "harness" / "tests" / "gate"))
    from gate_env import GateEnv, scenario
    env = GateEnv(tmp_path / "g", peer="tor-relay", launcher=REPO / "peers" / "tor-relay" / "run",
                  engine=hsprobe_bin)
    env.add("a.scn", scenario("t.a", peers="tor-relay"))
    env.add("b.scn", scenario("t.b", peers="tor-relay",
                              steps="connect tls=1.2\nsend VERSIONS versions=3,4,5\n"
                                    "expect VERSIONS within 2s\n"))
    env.baseline("t.a\tpass\nt.b\tpass\n")
    r = env.run()
    assert r.rc == 0, r.out
    assert (r.report / "capture-tor-relay-responder.pcap").is_file()
    res = {o["id"]: o for o in map(json.loads, (r.report / "results.jsonl").read_text()
                                   .splitlines())}
    assert {k: v["wire"]["status"] for k, v in res.items()} == {"t.a": "ok", "t.b": "ok"}
    assert (r.report / "wire" / "t.b.pcapng").is_file()
    manifest = json.loads((r.report / "run.json").read_text())
    [batch] = manifest["peers"]["tor-relay"]["batches"]
    assert batch["capture"]["dropped"] == 0 and batch["wire"]["ok"] == 2
    assert "wire check: 2 results, 2 ok, 0 error; +" in (r.report / "summary.txt").read_text()
    p = cli(r.report)
    assert p.returncode == 0, p.stdout + p.stderr


# -- the responder role: a tor client connects to the engine -----------------
RESPONDER = ["client-opens-with-good-chain.scn", "versions-3-only.scn", "tls12-only.scn"]


@pytest.fixture(scope="module")
def responder_recording(hsprobe_bin, tmp_path_factory):
    """A fresh tor client per scenario dials the engine's per-scenario listening port; the
    capture therefore takes every TCP packet on lo (Capture(path, None))."""
    tmp = tmp_path_factory.mktemp("wire-responder")
    peer_cmd = (f"{REPO}/peers/tor-client/run --run-dir {{dir}} --bridge {{addr}} "
                "--fingerprint {fp}")
    rec = record_run(hsprobe_bin, [REPO / "scenarios/tor/responder" / f for f in RESPONDER],
                     None, None, tmp / "run",
                     extra=["--peer-cmd", peer_cmd, "--peer-dir", str(tmp / "peers")])
    assert rec.lines == len(RESPONDER), rec.engine_stderr
    assert rec.job.stats.dropped == 0 and rec.job.port is None
    return rec


def test_responder_role_connections_are_found_by_the_listening_port(responder_recording,
                                                                     tmp_path):
    d = tmp_path / "run"
    shutil.copytree(responder_recording.run_dir, d)
    job = responder_recording.job_for(d)
    _out, res = check(d, job)
    for sid, r in res.items():
        assert r["role"] == "responder" and r["engine_verdict"] == "pass", sid
        conn = r["evidence"]["connections"][0]
        checks = {c["name"].split(".", 1)[1]: c for c in r["wire"]["checks"]
                  if c["name"].startswith(conn["name"] + ".")}
        for name in ("capture", "tcp", "sent", "recv", "cells.sent", "cells.recv"):
            assert checks[name]["ok"], (sid, name, checks[name]["detail"])
        assert "decrypt" not in checks, (sid, checks.get("decrypt"))
        w = r["wire"]["connections"][0]
        # sent = what the engine (TLS server) sent: it starts with the engine's VERSIONS,
        # answering the client's VERSIONS that opens recv
        cells = [(c["dir"], c["cmd"]) for c in w["cells"]]
        assert cells[0] == ("recv", "VERSIONS") and ("sent", "CERTS") in cells, (sid, cells)
        assert w["bytes"]["sent"] == conn["stream"]["sent"]["bytes"]
    # one altered byte of what the client sent is a diff in recv
    sid = "tor.responder.client-opens-with-good-chain"

    def flip(o):
        c = next(c for c in o["evidence"]["connections"][0]["cells"] if c["dir"] == "recv")
        c["hex"] = c["hex"][:-2] + "%02x" % (int(c["hex"][-2:], 16) ^ 1)
    edit(d, sid, flip)
    _out, res = check(d, job)
    [diff] = res[sid]["wire"]["connections"][0]["diffs"]
    assert diff["dir"] == "recv" and diff["engine_cell"]["cmd"] == "VERSIONS"
    assert "main" not in failed(res[sid]) and res[sid]["verdict"] == "error"
