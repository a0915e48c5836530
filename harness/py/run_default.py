#!/usr/bin/python3
"""`make run`: the whole scenario suite against a local tor relay, summarised on one screen.

It is the gate (`make gate PEER=tor-relay`) with pytest's own output kept in the run directory
(reports/<UTC stamp>/pytest.log) instead of on the terminal: pytest re-executes itself inside a
private network namespace, starts the relay once, runs every scenario in one engine batch,
compares with peers/tor-relay/baseline.tsv and writes results.jsonl, junit.xml, report.html and
summary.txt.  This prints summary.txt (counts per class, the deviations with their reasons, the
slowest scenarios, the report path) and exits with pytest's status: non-zero when the gate fails.
"""
import argparse
import datetime
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peer", default="tor-relay")
    ap.add_argument("pytest_args", nargs="*", help="passed on to pytest (e.g. -k versions)")
    args = ap.parse_args()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run_dir = REPO / "reports" / stamp
    run_dir.mkdir(parents=True, exist_ok=True)
    log = run_dir / "pytest.log"
    argv = [sys.executable, "-m", "pytest", "-p", "hsprobe.pytest_plugin", "scenarios",
            "--peer", args.peer, "--hsprobe-report", str(run_dir),
            "--junitxml", str(run_dir / "junit.xml"), "-q", *args.pytest_args]
    pypath = str(REPO / "harness" / "py")
    env = {**os.environ,
           "PYTHONPATH": pypath + (os.pathsep + os.environ["PYTHONPATH"]
                                   if os.environ.get("PYTHONPATH") else ""),
           "HSPROBE_BIN": os.environ.get("HSPROBE_BIN", str(REPO / "build" / "hsprobe"))}
    print(f"make run: every scenario against a local {args.peer} (pytest log: {log})",
          flush=True)
    with open(log, "wb") as out:
        rc = subprocess.run(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT).returncode
    summary = run_dir / "summary.txt"
    if summary.exists():
        sys.stdout.write(summary.read_text())
    else:  # collection error, usage error, peer never started: pytest's own words say why
        tail = log.read_text(errors="replace").splitlines()[-25:]
        print("\n".join(tail))
    verdict = "gate PASSED" if rc == 0 else f"gate FAILED (pytest exit {rc}; details in {log})"
    print(verdict)
    return rc


if __name__ == "__main__":
    sys.exit(main())
