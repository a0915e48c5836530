"""End-to-end tests of `hsprobe lint` and `hsprobe run`: strict input handling (nothing runs when
a file is bad), the result lines and their schema, target-gone handling, --seed, and the proof
that every scenario's decisive check can fail (--negate-last-expect against the real relay).

CLI contract: hsprobe run FILE|DIR... --target HOST:PORT [--results F] [--keylog F] [--seed N]
[--jobs N] [--negate-last-expect]; exit 0 all pass, 1 a fail, 2 usage/parse error (nothing run),
3 target unreachable, 4 harness error.  hsprobe lint [--json] FILE|DIR...; exit 0 or 2.
"""

import json
import re
import socket
import threading
from pathlib import Path

import jsonschema
import pytest

from hsprobe.peers import free_port

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((REPO / "harness/py/hsprobe/schema/result.schema.json").read_text())

HEADER = """id: {id}
title: a test case
role: initiator
protocol: tor-link
peers: tor-relay
spec: tor-spec §4.1
level: MUST
requirement: the responder answers VERSIONS with VERSIONS.
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def results(path):
    lines = Path(path).read_text().splitlines() if Path(path).exists() else []
    objs = [json.loads(line) for line in lines]
    for o in objs:
        jsonschema.validate(o, SCHEMA)
    return objs


class CountingListener:
    """A TCP listener that counts connections: proves that nothing was run."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self.sock.settimeout(0.2)
        self.stop = False
        self.t = threading.Thread(target=self._loop, daemon=True)
        self.t.start()

    def _loop(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
                self.count += 1
                c.close()
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.t.join()
        self.sock.close()


def test_every_scenario_in_the_repo_lints_clean(run_hsprobe):
    r = run_hsprobe(["lint", REPO / "scenarios"])
    assert r.rc == 0, r.describe()
    assert re.search(r"^\d+ files? checked, 0 with errors$", r.stdout, re.M), r.describe()


def test_lint_json_reports_headers_and_errors(run_hsprobe, tmp_path):
    good = write(tmp_path, "good.scn", HEADER.format(id="tor.t.good") +
                 "connect\nsend VERSIONS\nexpect VERSIONS\n")
    bad = write(tmp_path, "bad.scn", HEADER.format(id="tor.t.bad") +
                "connect\nsend VERSIONS versoins=3\nexpect VERSIONS\n")
    r = run_hsprobe(["lint", "--json", good, bad], check=False)
    assert r.rc == 2, r.describe()
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["ok"] for o in objs] == [True, False]
    assert objs[0]["header"]["id"] == "tor.t.good"
    assert objs[0]["header"]["peers"] == ["tor-relay"]
    assert objs[0]["header"]["level"] == "MUST"
    assert objs[1]["errors"][0]["line"] == 10 and objs[1]["errors"][0]["col"] == 15
    assert f"{bad}:10:15: error: VERSIONS has no field 'versoins'" in r.stderr


def test_a_bad_file_stops_the_whole_run(run_hsprobe, tmp_path):
    good = write(tmp_path, "a.scn", HEADER.format(id="tor.t.a") +
                 "connect\nsend VERSIONS\nexpect VERSIONS\n")
    bad = write(tmp_path, "b.scn", HEADER.format(id="tor.t.b") + "connect\nsnd VERSIONS\n")
    dup = write(tmp_path, "c.scn", HEADER.format(id="tor.t.a") +
                "connect\nsend VERSIONS\nexpect VERSIONS\n")
    lst = CountingListener()
    out = tmp_path / "results.jsonl"
    try:
        r = run_hsprobe(["run", good, bad, dup, "--target", f"127.0.0.1:{lst.port}",
                         "--results", out], check=False)
    finally:
        lst.close()
    assert r.rc == 2, r.describe()
    assert f"{bad}:10:1: error: unknown step 'snd'" in r.stderr
    assert f"{dup}:1:1: error: id 'tor.t.a' is already used by {good}:1" in r.stderr
    assert "nothing was run" in r.stderr
    assert lst.count == 0, "the engine connected although a file did not parse"
    assert not out.exists() or out.read_text() == ""


def test_usage_errors(run_hsprobe, tmp_path):
    f = write(tmp_path, "a.scn", HEADER.format(id="tor.t.a") + "connect\nexpect close\n")
    for args, msg in ((["run", f], "--target HOST:PORT is required"),
                      (["run", "--target", "127.0.0.1:1"], "no scenario files"),
                      (["run", f, "--target", "nonsense"], "--target"),
                      (["run", f, "--target", "127.0.0.1:1", "--jobs", "0"], "--jobs"),
                      (["run", tmp_path / "missing.scn", "--target", "127.0.0.1:1"],
                       "No such file"),
                      (["lint"], "no files given")):
        r = run_hsprobe(args, check=False)
        assert r.rc == 2 and msg in r.stderr, r.describe()


def test_help_tells_the_truth(run_hsprobe):
    r = run_hsprobe(["run", "--help"])
    for opt in ("--target", "--results", "--keylog", "--seed", "--jobs", "--negate-last-expect"):
        assert opt in r.stdout
    r = run_hsprobe(["help", "lint"])
    assert "file:line:col" in r.stdout
    r = run_hsprobe(["--help"])
    assert "run FILE|DIR" in r.stdout and "lint FILE|DIR" in r.stdout


def test_unreachable_target_is_an_error_never_a_pass(run_hsprobe, tmp_path):
    files = [write(tmp_path, f"{i}.scn", HEADER.format(id=f"tor.t.s{i}") +
                   "connect\nsend VERSIONS\nexpect VERSIONS\n") for i in range(3)]
    out = tmp_path / "r.jsonl"
    port = free_port()  # nothing listens there
    r = run_hsprobe(["run", *files, "--target", f"127.0.0.1:{port}", "--results", out,
                     "--jobs", "1"], check=False)
    assert r.rc == 3, r.describe()
    objs = results(out)
    assert len(objs) == 3
    for o in objs:
        assert o["verdict"] == "error"
        assert o["message"].startswith("target exited"), o["message"]


def test_results_are_schema_valid_with_evidence(run_hsprobe, tor_relay, tmp_path):
    f = write(tmp_path, "a.scn", HEADER.format(id="tor.t.flight") +
              "connect tls=1.2\nsend VERSIONS versions=4\nexpect VERSIONS\n"
              "expect CERTS valid=yes\nexpect AUTH_CHALLENGE methods has 3\n"
              "expect NETINFO other=target\n")
    out = tmp_path / "r.jsonl"
    keylog = tmp_path / "keys.log"
    r = run_hsprobe(["run", f, "--target", tor_relay.addr, "--results", out, "--keylog", keylog])
    assert r.rc == 0, r.describe()
    (o,) = results(out)
    assert o["verdict"] == "pass" and o["outcome"]["kind"] == "expected-reply"
    conn = o["evidence"]["connections"][0]
    assert conn["tls"]["version"] == "TLS1.2"
    cmds = [(c["dir"], c["cmd"]) for c in conn["cells"]]
    assert cmds == [("sent", "VERSIONS"), ("recv", "VERSIONS"), ("recv", "CERTS"),
                    ("recv", "AUTH_CHALLENGE"), ("recv", "NETINFO")]
    # Our VERSIONS on the wire: 2-byte circ id, cmd 7, length 2, version 4.
    assert conn["cells"][0]["hex"] == "0000070002" + "0004"
    # After negotiating link 4 the responder's cells have 4-byte circ ids.
    assert conn["cells"][2]["width"] == 4 and conn["cells"][2]["hex"].startswith("0000000081")
    assert "CLIENT_RANDOM" in keylog.read_text()


def test_failure_names_the_step_and_the_outcome(run_hsprobe, tor_relay, tmp_path):
    f = write(tmp_path, "a.scn", HEADER.format(id="tor.t.wrong") +
              "connect\nsend VERSIONS versions=3,4,5\nexpect VERSIONS versions=3\n")
    out = tmp_path / "r.jsonl"
    r = run_hsprobe(["run", f, "--target", tor_relay.addr, "--results", out], check=False)
    assert r.rc == 1, r.describe()
    (o,) = results(out)
    assert o["verdict"] == "fail"
    assert o["failed_step"] == {"line": 11, "text": "expect VERSIONS versions=3"}
    assert o["outcome"]["kind"] == "other-reply"
    assert "versions=3,4,5, expected versions = 3" in o["message"]


def test_seed_makes_random_choices_reproducible(run_hsprobe, tor_relay, tmp_path):
    f = write(tmp_path, "a.scn", HEADER.format(id="tor.t.seeded") +
              "connect\nsend VERSIONS\nexpect VERSIONS\nexpect CERTS\nexpect AUTH_CHALLENGE\n"
              "expect NETINFO\nsend NETINFO time=0\nsend CREATE_FAST\nsend VPADDING body=random:40\n"
              "expect CREATED_FAST kh=ok\n")

    def sent_cells(seed):
        out = tmp_path / f"r{seed}-{len(list(tmp_path.iterdir()))}.jsonl"
        run_hsprobe(["run", f, "--target", tor_relay.addr, "--results", out, "--seed", seed])
        (o,) = results(out)
        assert o["verdict"] == "pass", o["message"]
        assert o["seed"] == int(seed)
        return [c["hex"] for c in o["evidence"]["connections"][0]["cells"] if c["dir"] == "sent"]

    a, b, c = sent_cells("7"), sent_cells("7"), sent_cells("8")
    assert a == b, "same seed, different bytes above TLS"
    assert a != c, "different seeds, same random bytes"


def test_every_passing_scenario_fails_when_its_last_expectation_is_negated(
        run_hsprobe, tor_relay, tmp_path):
    """Issue 3: each scenario is seen to fail against a deliberately wrong expectation.  The
    engine inverts each file's last expectation; whatever passed against the relay must now
    fail, at that step.  (A scenario that fails against the relay has shown already that its
    check can fail: the baseline records why.)"""
    normal, negated = tmp_path / "normal.jsonl", tmp_path / "negated.jsonl"
    # Initiator-role files run against the relay; responder-role files (scenarios/tor/responder)
    # against a fresh tor client per scenario that the engine starts with --peer-cmd.
    relay_dirs = sorted(d for d in (REPO / "scenarios/tor").iterdir()
                        if d.is_dir() and d.name not in ("responder", "mitm"))
    peer_cmd = (f"{REPO}/peers/tor-client/run --run-dir {{dir}} --bridge {{addr}} "
                f"--fingerprint {{fp}}")
    for out, extra in ((normal, []), (negated, ["--negate-last-expect"])):
        run_hsprobe(["run", *relay_dirs, "--target", tor_relay.addr, "--results", out,
                     "--jobs", "8", "--quiet", *extra], timeout=120, check=False)
        run_hsprobe(["run", REPO / "scenarios/tor/responder", "--peer-cmd", peer_cmd,
                     "--peer-dir", tmp_path / f"peers-{out.stem}", "--results", out,
                     "--jobs", "8", "--quiet", *extra], timeout=120, check=False)
        # MITM files: a fresh client per scenario dials the harness, the harness the relay.
        run_hsprobe(["run", REPO / "scenarios/tor/mitm", "--target", tor_relay.addr,
                     "--target-fp", tor_relay.rsa_fp, "--peer-cmd", peer_cmd,
                     "--peer-dir", tmp_path / f"mitm-{out.stem}", "--results", out,
                     "--jobs", "8", "--quiet", *extra], timeout=120, check=False)
    a = {o["id"]: o for o in results(normal)}
    b = {o["id"]: o for o in results(negated)}
    assert a.keys() == b.keys() and a, "both runs must cover every scenario"
    errors = {i: o["message"] for i, o in a.items() if o["verdict"] == "error"}
    assert not errors, errors
    passed = [i for i, o in a.items() if o["verdict"] == "pass"]
    assert passed, "no scenario passes against the relay"
    still_passing = [i for i in passed if b[i]["verdict"] != "fail"]
    assert not still_passing, f"negating the last expectation did not make these fail: " \
                              f"{still_passing}"
    for i in passed:
        assert b[i]["negated"] is True
        assert "negated" in b[i]["message"], b[i]["message"]
