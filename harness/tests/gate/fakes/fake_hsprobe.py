#!/usr/bin/python3
"""A stand-in for build/hsprobe's `lint --json` and `run`, for testing the gate plugin alone.

It follows the C contract (README "The C contract"): lint prints one JSON object per file and
exits 0/2; run refuses to start when a file does not parse (exit 2), otherwise appends one
schema-valid JSON line per scenario to --results, flushed as each finishes.  It really
connects to --target for each scenario, so a target that went away yields verdict "error" with
"target exited", as the engine does.  What each scenario's verdict is comes from the JSON file
named by $FAKE_HSPROBE_PLAN: {id: {"verdict": ..., "message": ..., "raw": "line to write
instead", "omit": true, "sleep": seconds}}; ids not in the plan pass.
"""
import json
import os
import socket
import sys
import time

HEADER_KEYS = ("id", "title", "role", "protocol", "peers", "spec", "level", "requirement",
               "catalogue", "note", "timeout")
REQUIRED = ("id", "title", "role", "protocol", "peers", "spec", "level", "requirement")


def parse(path):
    """(header, errors); errors are (line, col, message)."""
    header, errors, last = {}, [], None
    with open(path) as f:
        lines = f.read().splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t" and last:
            header[last] += " " + line.strip()
            continue
        key, sep, val = line.partition(":")
        if sep and key.strip() in HEADER_KEYS:
            last = key.strip()
            header[last] = val.strip()
            continue
        if sep and " " not in key.strip() and not header.get("_steps"):
            errors.append((n, 1, f"unknown header key '{key.strip()}'"))
            continue
        if line.split()[0] not in ("connect", "send", "expect", "close", "use"):
            errors.append((n, 1, f"unknown step '{line.split()[0]}' (expected connect, send, "
                                  "expect, close or use)"))
        header["_steps"] = True
    header.pop("_steps", None)
    for k in REQUIRED:
        if k not in header:
            errors.append((1, 1, f"missing header key '{k}'"))
    return header, errors


def header_json(h):
    t = h.get("timeout", "2s")
    ms = int(float(t[:-2])) if t.endswith("ms") else int(float(t.rstrip("s")) * 1000)
    return {"id": h["id"], "title": h["title"], "role": h["role"], "protocol": h["protocol"],
            "peers": [p.strip() for p in h["peers"].split(",")], "spec": h["spec"],
            "level": h["level"], "requirement": h["requirement"],
            "catalogue": h.get("catalogue"), "note": h.get("note"), "timeout_ms": ms}


def lint(files, as_json):
    bad = False
    for f in files:
        h, errs = parse(f)
        bad |= bool(errs)
        for line, col, msg in errs:
            print(f"{f}:{line}:{col}: error: {msg}", file=sys.stderr)
        if as_json:
            print(json.dumps({"file": f, "ok": not errs,
                              "errors": [{"line": l, "col": c, "message": m} for l, c, m in errs],
                              "header": None if errs else header_json(h)}))
    return 2 if bad else 0


def result(h, file, target, verdict, message):
    hj = header_json(h)
    cells = [{"dir": "sent", "cmd": "VERSIONS", "circ_id": 0, "width": 2, "len": 6,
              "t_ms": 0.5, "hex": "0000070006000300040005"},
             {"dir": "recv", "cmd": "VERSIONS", "circ_id": 0, "width": 2, "len": 4,
              "t_ms": 1.7, "hex": "00000700040004000500"}]
    failed = verdict == "fail"
    return {"schema": "hsprobe.result/1", "id": hj["id"], "file": file, "title": hj["title"],
            "role": hj["role"], "protocol": hj["protocol"], "spec": hj["spec"],
            "level": hj["level"], "requirement": hj["requirement"],
            "catalogue": hj["catalogue"], "target": target, "verdict": verdict,
            "outcome": {"kind": "other-reply" if failed else "expected-reply",
                        "detail": "VERSIONS versions=4,5", "cmd": "VERSIONS"},
            "failed_step": {"line": 12, "text": "expect close within 1s"} if failed else None,
            "message": message, "negated": False, "seed": None,
            "evidence": {"connections": [{"name": "main",
                                          "tls": {"version": "TLS1.3",
                                                  "cipher": "AES-256-GCM"},
                                          "close": None, "cells": cells, "overflow": False}]},
            "timings_ms": {"total": 3.25, "connect": 1.0},
            "started": "2026-01-01T00:00:00.000Z"}


def run(files, target, results, plan):
    parsed = [(f, *parse(f)) for f in files]
    if any(errs for _f, _h, errs in parsed):
        for f, _h, errs in parsed:
            for line, col, msg in errs:
                print(f"{f}:{line}:{col}: error: {msg}", file=sys.stderr)
        return 2
    host, port = target.rsplit(":", 1)
    worst = 0
    with open(results, "a") as out:
        for f, h, _ in parsed:
            p = plan.get(h["id"], {})
            time.sleep(p.get("sleep", 0))
            if p.get("omit"):
                continue
            if "raw" in p:
                out.write(p["raw"] + "\n")
                out.flush()
                continue
            verdict, message = p.get("verdict", "pass"), p.get("message", "as required")
            try:
                socket.create_connection((host, int(port)), timeout=2).close()
            except OSError as e:
                verdict, message = "error", f"target exited: connect {target}: {e.strerror}"
            print(f"{h['id']}: {verdict}", file=sys.stderr)
            out.write(json.dumps(result(h, f, target, verdict, message)) + "\n")
            out.flush()
            worst = max(worst, {"pass": 0, "unsupported": 0, "fail": 1, "error": 4}[verdict])
    return worst


def main(argv):
    log = os.environ.get("FAKE_HSPROBE_LOG")  # lets tests count invocations
    if log:
        with open(log, "a") as f:
            f.write(json.dumps(argv) + "\n")
    if argv[:1] == ["lint"]:
        as_json = "--json" in argv
        return lint([a for a in argv[1:] if a != "--json"], as_json)
    if argv[:1] == ["run"]:
        files, opts, i = [], {}, 1
        while i < len(argv):
            if argv[i].startswith("--"):
                opts[argv[i]] = argv[i + 1]
                i += 2
            else:
                files.append(argv[i])
                i += 1
        plan_path = os.environ.get("FAKE_HSPROBE_PLAN")
        plan = json.load(open(plan_path)) if plan_path else {}
        return run(files, opts["--target"], opts["--results"], plan)
    print("usage: fake_hsprobe lint|run ...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
