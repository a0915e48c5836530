"""hsprobe-wire: re-check a saved run directory against its captures, offline.

    hsprobe-wire RUNDIR [--json] [--write]
    python3 -m hsprobe.wire RUNDIR [--json] [--write]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hsprobe.wire import jobs_for_run_dir, run_job

DESCRIPTION = """\
Re-check a saved hsprobe run directory offline: each batch capture (capture-*.pcap) is
decrypted with the run's key log (tls-keys.log, one tshark pass per capture) and every result
line of that batch in results.jsonl is checked against it, exactly as the gate does right after
each batch (transcript and stream digests byte for byte, TCP gaps, key log completeness, TLS
certificate binding, AUTHENTICATE fields recomputed from the wire, wire-sha256 digests).
Captures are found through wire.json, or run.json when wire.json is missing.

Without --write nothing in RUNDIR changes; the engine's original verdicts are checked (an
earlier wire check recorded in a line is undone first).  Prints one line per scenario, ok or
ERROR with the reasons."""

EPILOG = """\
exit status:
  0  every checked result agrees with the wire
  1  at least one result has a wire error
  2  usage error, or RUNDIR has no results.jsonl, no recorded capture, no capture file or
     no key log"""


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hsprobe-wire", description=DESCRIPTION, epilog=EPILOG,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", type=Path, metavar="RUNDIR",
                    help="a run directory written by the gate (reports/<stamp>/)")
    ap.add_argument("--json", action="store_true",
                    help="print one JSON object (per scenario: id, result line, status, failed "
                         "checks, pcapng) instead of text")
    ap.add_argument("--write", action="store_true",
                    help="also do what the gate does: rewrite results.jsonl atomically "
                         "(verdict, message, engine_verdict, wire), the per-scenario pcapngs in "
                         "RUNDIR/wire/, wire.json, and report.html/summary.txt when RUNDIR has "
                         "a run.json")
    return ap


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    run_dir = args.run_dir
    if not (run_dir / "results.jsonl").is_file():
        print(f"hsprobe-wire: {run_dir}: no results.jsonl (not a run directory)", file=sys.stderr)
        return 2
    jobs = jobs_for_run_dir(run_dir)
    if not jobs:
        print(f"hsprobe-wire: {run_dir}: no capture recorded (neither wire.json nor run.json "
              "names one): this run was not captured", file=sys.stderr)
        return 2
    missing = [str(j.capture) for j in jobs if not j.capture.is_file()]
    if len(missing) == len(jobs):
        print(f"hsprobe-wire: {run_dir}: capture file(s) missing: {', '.join(missing)}",
              file=sys.stderr)
        return 2
    if not any(j.keylog.is_file() for j in jobs):
        print(f"hsprobe-wire: {run_dir}: no key log ({jobs[0].keylog.name}): the TLS traffic "
              "cannot be decrypted", file=sys.stderr)
        return 2
    scenarios, bad = [], 0
    for job in jobs:
        out = run_job(run_dir, job, write=args.write)
        for lineno, sc in sorted(out.checks.items()):
            errs = sc.errors
            bad += bool(errs)
            scenarios.append({"id": out.ids[lineno], "line": lineno, "peer": job.peer,
                              "status": sc.status, "errors": errs,
                              "info": [c for c in sc.checks if not c["ok"]
                                       and c["level"] == "info"],
                              "pcapng": out.pcapngs.get(out.ids[lineno]),
                              "capture": job.capture.name})
    if args.write and (run_dir / "run.json").is_file():
        from hsprobe import report
        report.write_report(run_dir)
    if args.json:
        print(json.dumps({"run_dir": str(run_dir), "written": args.write,
                          "ok": len(scenarios) - bad, "error": bad, "scenarios": scenarios},
                         indent=1))
    else:
        for s in scenarios:
            if s["status"] == "ok":
                print(f"ok     {s['id']}")
                continue
            print(f"ERROR  {s['id']} (results.jsonl line {s['line']})")
            for c in s["errors"]:
                print(f"         {c['name']}: {c['detail']}")
        print(f"{len(scenarios)} results: {len(scenarios) - bad} ok, {bad} wire error(s)"
              + ("; results.jsonl, pcapngs and wire.json rewritten" if args.write else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
