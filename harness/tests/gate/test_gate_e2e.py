"""The gate with the real engine (build/hsprobe) and the real tor-relay peer: a parse error
stops everything with the engine's file:line:col, and a relay that dies mid-batch leaves intact
result lines, "target exited" errors with the relay's log tail, and a failing gate."""

import os
import signal
import time

import pytest

from gate_env import REPO, GateEnv, scenario
from hsprobe.results import read_results

pytestmark = pytest.mark.e2e

QUICK = "connect tls=1.3\nsend VERSIONS versions=3,4,5\nexpect VERSIONS within 2s\n"
# tor waits for the initiator's VERSIONS, so 1.5 s of silence first keeps the batch busy long
# enough to kill the relay while it runs.
SLOW = ("connect tls=1.3\nexpect silence 1500ms\nsend VERSIONS versions=3,4,5\n"
        "expect VERSIONS within 2s\n")


@pytest.fixture
def env(tmp_path, hsprobe_bin):
    return GateEnv(tmp_path, peer="tor-relay", launcher=REPO / "peers" / "tor-relay" / "run",
                   engine=hsprobe_bin)


def test_parse_error_stops_the_gate_with_the_engines_position(env):
    env.add("ok.scn", scenario("t.ok", peers="tor-relay", steps=QUICK))
    bad = env.add("bad.scn", scenario("t.bad", peers="tor-relay",
                                      steps="connect tls=1.3\nsend VERSIONS versoins=3\n"
                                            "expect VERSIONS\n"))
    env.baseline("t.ok\tpass\nt.bad\tpass\n")
    r = env.run()
    assert r.rc == 2, r.out
    assert f"{bad}:12:" in r.out and "error:" in r.out, r.out
    assert not (r.report / "peers").exists()  # no relay was started
    assert not (r.report / "results.jsonl").exists()


def test_relay_killed_mid_batch(env, tmp_path):
    ids = ["t.first", *(f"t.slow{i}" for i in range(5))]
    env.add("first.scn", scenario("t.first", peers="tor-relay", steps=QUICK))
    for sid in ids[1:]:
        env.add(f"{sid}.scn", scenario(sid, peers="tor-relay", steps=SLOW))
    env.baseline("".join(f"{i}\tpass\n" for i in ids))
    proc = env.start("--hsprobe-jobs", "1")
    results = env.root / "report" / "results.jsonl"
    torpid = env.root / "report" / "peers" / "tor-relay-responder" / "tor.pid"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (results.exists() and results.read_text()):
        time.sleep(0.01)
    assert results.exists(), "no result line within 60 s"
    # tor was started by the launcher this test's nested pytest started: kill exactly it.
    os.kill(int(torpid.read_text().split()[0]), signal.SIGKILL)
    r = env.finish(proc, timeout=120)
    assert r.rc == 1, r.out  # the gate fails
    lines = read_results(results)
    assert [l.errors for l in lines if not l.valid] == []  # every line intact and schema-valid
    by_id = {l.obj["id"]: l.obj for l in lines}
    assert set(by_id) == set(ids), sorted(by_id)
    assert by_id["t.first"]["verdict"] == "pass"
    exited = [i for i in ids if by_id[i]["verdict"] == "error"
              and by_id[i]["message"].startswith("target exited")]
    # The scenario running at the kill may end as a fail or error; the ones after it cannot
    # reach the relay at all.
    assert len(exited) >= 4, {i: (by_id[i]["verdict"], by_id[i]["message"]) for i in ids}
    for sid in exited:
        assert r.outcome(f"{sid}[tor-relay]") == "error"
        msg = r.message(f"{sid}[tor-relay]")
        assert "target exited" in msg
        assert "the tor-relay peer stopped answering during the batch" in msg
        assert "notice.log" in msg  # the relay's log tail is attached
    assert r.outcome("t.first[tor-relay]") == "passed"
