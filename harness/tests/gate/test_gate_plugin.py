"""The gate plugin in nested pytest runs, with a stand-in engine and peer (fakes/): how each
verdict × baseline pair becomes a pytest outcome, collection errors (parse error, unknown peer,
unserved role), baseline problems, one peer start and one lint + one run per session,
--update-baseline, a target that dies mid-batch, and the run directory it leaves."""

import json
import os
import signal
import time

from gate_env import GateEnv, result_line, scenario
from hsprobe.results import read_results

BASELINE = ("t.pass\tpass\n"
            "t.xfail\txfail\ttor skips this check\n"
            "t.unsup\tunsupported\tneeds the responder role\n"
            "t.regress\tpass\n"
            "t.stale\txfail\tthought broken\n"
            "t.err\tpass\n"
            "t.schema\tpass\n"
            "t.omitted\tpass\n")
PLAN = {"t.xfail": {"verdict": "fail", "message": "answered instead of closing"},
        "t.unsup": {"verdict": "unsupported", "message": "role not implemented"},
        "t.regress": {"verdict": "fail", "message": "closed with RST after 3 ms"},
        "t.err": {"verdict": "error", "message": "harness: out of memory"},
        "t.schema": {"raw": json.dumps({k: v for k, v in result_line("t.schema", "pass").items()
                                        if k != "evidence"})},
        "t.omitted": {"omit": True}}


def _env(tmp_path, ids=None):
    env = GateEnv(tmp_path)
    for sid in ids or [*PLAN, "t.pass", "t.stale", "t.missing"]:
        env.add(f"{sid}.scn", scenario(sid))
    env.baseline(BASELINE)
    env.plan = dict(PLAN)
    return env


def test_each_class_maps_to_its_pytest_outcome(tmp_path):
    env = _env(tmp_path)
    r = env.run()
    assert r.rc == 1, r.out  # pytest's "tests failed"
    o = {name: r.outcome(name) for name in r.junit}
    assert o == {"t.pass[fake]": "passed",
                 "t.xfail[fake]": "xfailed",
                 "t.unsup[fake]": "skipped",
                 "t.regress[fake]": "failed",
                 "t.stale[fake]": "failed",
                 "t.missing[fake]": "failed",
                 "t.err[fake]": "error",
                 "t.schema[fake]": "error",
                 "t.omitted[fake]": "error",
                 "baseline[fake]": "passed"}, r.out
    assert "tor skips this check" in r.message("t.xfail[fake]")
    assert "needs the responder role" in r.message("t.unsup[fake]")
    reg = r.message("t.regress[fake]")
    for needle in ("FAIL: deviates from the spec; the baseline expected pass",
                   "closed with RST after 3 ms",
                   f"failed step: {env.scn / 't.regress.scn'}:12: expect close within 1s",
                   "outcome: other-reply VERSIONS",
                   "-> VERSIONS (6 bytes)", "requirement (tor-spec §4.1, MUST)"):
        assert needle in reg, (needle, reg)
    assert "baseline stale: expected xfail (thought broken) but conformed" in \
        r.message("t.stale[fake]")
    assert "MISSING" in r.message("t.missing[fake]")
    assert "harness: out of memory" in r.message("t.err[fake]")
    sch = r.message("t.schema[fake]")
    assert "does not match the result schema" in sch and "'evidence' is a required" in sch
    assert "no result for t.omitted" in r.message("t.omitted[fake]")


def test_gate_passes_when_every_result_matches_the_baseline(tmp_path):
    env = _env(tmp_path, ["t.pass", "t.xfail", "t.unsup"])
    env.baseline("t.pass\tpass\nt.xfail\txfail\ttor skips this check\n"
                 "t.unsup\tunsupported\tneeds the responder role\n")
    r = env.run()
    assert r.rc == 0, r.out
    assert sorted(o for o, _ in r.junit.values()) == ["passed", "passed", "skipped", "xfailed"]


def test_peer_started_once_one_lint_and_one_run_for_the_session(tmp_path):
    env = _env(tmp_path)
    log = tmp_path / "engine.log"
    os.environ["FAKE_HSPROBE_LOG"] = str(log)
    try:
        r = env.run("--hsprobe-jobs", "3", "--hsprobe-seed", "42")
    finally:
        del os.environ["FAKE_HSPROBE_LOG"]
    calls = [json.loads(l) for l in log.read_text().splitlines()]
    assert [c[0] for c in calls] == ["lint", "run"], calls
    assert len([a for a in calls[0] if a.endswith(".scn")]) == 9
    run = calls[1]
    assert len([a for a in run if a.endswith(".scn")]) == 9
    assert run[run.index("--jobs") + 1] == "3" and run[run.index("--seed") + 1] == "42"
    assert run[run.index("--results") + 1] == str(r.report / "results.jsonl")
    assert run[run.index("--keylog") + 1] == str(r.report / "tls-keys.log")
    starts = (r.report / "peers" / "fake-responder" / "notice.log").read_text().splitlines()
    assert len(starts) == 1, starts


def test_run_directory_has_results_report_summary_and_junit(tmp_path):
    env = _env(tmp_path)
    r = env.run()
    lines = read_results(r.report / "results.jsonl")
    assert len(lines) == 8  # 9 scenarios, one omitted by the engine
    assert sum(l.valid for l in lines) == 7
    for name in ("report.html", "summary.txt", "run.json", "junit.xml"):
        assert (r.report / name).is_file(), name
    summary = (r.report / "summary.txt").read_text()
    assert "ok-pass 1  ok-xfail 1  ok-unsupported 1  FAIL 1  XPASS 1  ERROR 3  MISSING 1" in \
        summary, summary
    assert f"hsprobe report: {r.report / 'report.html'}" in r.out


def test_parse_error_is_a_collection_error_with_file_line_col_and_nothing_runs(tmp_path):
    env = _env(tmp_path, ["t.pass"])
    bad = env.add("t.bad.scn", scenario("t.bad", steps="connect tls=1.3\nfrobnicate now\n"))
    r = env.run()
    assert r.rc == 2, r.out  # pytest: interrupted by collection errors
    assert f"{bad}:12:1: error: unknown step 'frobnicate'" in r.out, r.out
    assert not (r.report / "results.jsonl").exists()
    assert not (r.report / "peers").exists()  # the peer was never started


def test_unknown_peer_in_a_scenario_is_a_collection_error(tmp_path):
    env = _env(tmp_path, ["t.pass"])
    env.add("t.other.scn", scenario("t.other", peers="fake,nosuchpeer"))
    r = env.run()
    assert r.rc == 2
    assert "unknown peer 'nosuchpeer'" in r.out and "known peers: fake" in r.out, r.out


def test_unknown_peer_option_is_a_usage_error(tmp_path):
    env = _env(tmp_path, ["t.pass"])
    r = env.run("--peer", "nosuchpeer")
    assert r.rc == 4, r.out  # pytest: usage error
    assert "--peer: unknown peer 'nosuchpeer'" in r.out


def test_role_no_listed_peer_serves_is_a_collection_error(tmp_path):
    env = _env(tmp_path, ["t.pass"])
    env.add("t.resp.scn", scenario("t.resp", role="responder"))
    r = env.run()
    assert r.rc == 2
    assert "no listed peer can serve role 'responder'" in r.out
    assert "fake serves roles initiator" in r.out


def test_stale_baseline_entry_fails_the_baseline_item(tmp_path):
    env = _env(tmp_path, ["t.pass"])
    env.baseline("t.pass\tpass\nt.renamed\txfail\tsomething\n")
    r = env.run()
    assert r.rc == 1
    assert r.outcome("t.pass[fake]") == "passed"
    assert r.outcome("baseline[fake]") == "failed"
    assert f"{env.baseline_path}:2: t.renamed" in r.message("baseline[fake]")


def test_running_one_file_does_not_make_the_others_stale(tmp_path):
    env = _env(tmp_path, ["t.pass", "t.xfail"])
    env.baseline("t.pass\tpass\nt.xfail\txfail\ttor skips this check\n")
    r = env.run("--update-baseline", paths=[env.scn / "t.pass.scn"])
    assert r.rc == 0, r.out
    assert set(r.junit) == {"t.pass[fake]", "baseline[fake]"}
    cand = env.baseline_path.with_name("baseline.tsv.candidate").read_text()
    assert "t.xfail\txfail\ttor skips this check" in cand  # not run, still a scenario: kept


def test_invalid_baseline_fails_with_file_line_and_runs_nothing(tmp_path):
    env = _env(tmp_path, ["t.pass"])
    env.baseline("t.pass\txfail\n")
    r = env.run()
    assert r.rc == 1
    assert r.outcome("baseline[fake]") == "failed"
    assert f"{env.baseline_path}:1: t.pass: `xfail` needs a reason" in r.message("baseline[fake]")
    assert r.outcome("t.pass[fake]") == "error"
    assert not (r.report / "peers").exists()


def test_update_baseline_writes_a_candidate_and_leaves_the_baseline(tmp_path):
    env = _env(tmp_path)
    before = env.baseline_path.read_text()
    r = env.run("--update-baseline")
    cand = env.baseline_path.with_name("baseline.tsv.candidate")
    assert f"baseline candidate for fake: {cand}" in r.out
    assert env.baseline_path.read_text() == before
    text = cand.read_text()
    assert "t.regress\txfail\tTODO: explain (observed: closed with RST after 3 ms)" in text
    assert "t.xfail\txfail\ttor skips this check" in text
    assert "t.stale\tpass" in text.splitlines()
    assert "t.missing\tpass" in text.splitlines()
    assert "t.err\tpass" in text.splitlines()  # no verdict: the old entry stays
    assert r.rc == 1  # the gate itself still compares with the current baseline


def test_peer_option_deselects_other_peers(tmp_path):
    env = _env(tmp_path, ["t.pass"])
    other = env.peers / "other"
    other.mkdir()
    (other / "peer.toml").write_text((env.peers / "fake" / "peer.toml").read_text())
    (other / "run").symlink_to((env.peers / "fake" / "run").resolve())
    env.add("t.both.scn", scenario("t.both", peers="fake,other"))
    env.baseline("t.pass\tpass\nt.both\tpass\n")
    r = env.run("--peer", "fake")
    assert r.rc == 0, r.out
    assert set(r.junit) == {"t.pass[fake]", "t.both[fake]", "baseline[fake]"}
    assert "1 deselected" in r.out


def test_target_dying_mid_batch_errors_the_rest_and_keeps_the_lines(tmp_path):
    """The fake peer is SIGKILLed (by its PID, a process this test's nested run started) after
    the first result; the engine then reports "target exited" for the rest."""
    ids = [f"t.s{i}" for i in range(6)]
    env = _env(tmp_path, ids)
    env.baseline("".join(f"{i}\tpass\n" for i in ids))
    env.plan = {i: {"sleep": 0.3} for i in ids}
    proc = env.start("--hsprobe-jobs", "1")
    results = tmp_path / "report" / "results.jsonl"
    pidfile = tmp_path / "report" / "peers" / "fake-responder" / "peer.pid"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (results.exists() and results.read_text()):
        time.sleep(0.02)
    assert results.exists(), "no result line appeared"
    os.kill(int(pidfile.read_text()), signal.SIGKILL)
    r = env.finish(proc)
    assert r.rc == 1, r.out
    lines = read_results(results)
    assert len(lines) == 6 and all(l.valid for l in lines)  # intact JSON, schema-valid
    assert lines[0].obj["verdict"] == "pass"
    late = [l for l in lines if l.obj["verdict"] == "error"]
    assert len(late) >= 4, [l.obj["verdict"] for l in lines]
    for l in late:
        assert l.obj["message"].startswith("target exited")
        name = f"{l.obj['id']}[fake]"
        assert r.outcome(name) == "error"
        msg = r.message(name)
        assert "target exited" in msg
        assert "the fake peer stopped answering during the batch (launcher exit status -9)" in msg
        assert "fake peer started" in msg  # the peer's log tail is attached
