#!/usr/bin/python3
"""Compare testssl.sh and sslscan with the truth (and, later, hsprobe) on the TLS-family peers.

    compare_tools.py [--targets a,b,...] [--out FILE.json] [--hsprobe-results results.jsonl]
                     [--jobs 2] [--no-claims]

Runs inside a private network namespace (re-executes itself under `unshare -n` as root, like
pytest), starts each target through its peer launcher on 127.0.0.1, runs both tools against
it (STARTTLS options where the protocol needs them), records each tool's wall time, writes a
JSON report and prints one table row per target and check:

    target | check | testssl | sslscan | hsprobe | truth

A tool cell ends in "=" when it agrees with the truth and "!" when it contradicts it.  Then the
known-wrong findings of spec/tls-downgrade.md §4 are confirmed or refuted from this run's data
(plus a few extra runs for the XMPP host-name claims), each with its evidence.

hsprobe hook: --hsprobe-results reads JSON lines with at least {"peer", "check", "value"}
(check and value as in hsprobe/compare/checks.py); the lead maps the engine's results.jsonl to
that shape when the TLS-family scenarios exist.  Without it the hsprobe column is empty.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hsprobe import netns  # noqa: E402
from hsprobe.compare import claims, sslscan, testssl  # noqa: E402
from hsprobe.compare.checks import CHECKS, agrees  # noqa: E402
from hsprobe.compare.truth import truth  # noqa: E402
from hsprobe.peerdesc import load_peer  # noqa: E402
from hsprobe.peers import REPO_ROOT, ManagedPeer, PeerError  # noqa: E402

DEFAULT_TARGETS = [
    "gnutls-serv", "gnutls-serv-unsafe-reneg", "gnutls-serv-tls12", "openssl-www",
    "openssl-client-reneg", "openssl-legacy-reneg", "openssl-tls10", "scsv-ignored",
    "scsv-enforced", "scsv-bare-close", "scsv-ignored-tls12", "scsv-enforced-tls12",
    "postfix", "dovecot-imap", "dovecot-pop3", "prosody", "inn2", "smtp-inject-bad",
    "smtp-inject-fixed", "imap-inject-bad", "imap-inject-fixed", "pop3-inject-bad",
    "pop3-inject-fixed", "xmpp-reneg-accept", "xmpp-reneg-close"]


def load_hsprobe(path: Path | None) -> dict:
    if not path:
        return {}
    got = {}
    for line in path.read_text().splitlines():
        if line.strip():
            obj = json.loads(line)
            if {"peer", "check", "value"} <= obj.keys():
                got[(obj["peer"], obj["check"])] = obj["value"]
    return got


def scan_target(name, facts, proto):
    return {"testssl": testssl.scan(facts.host, facts.port, proto),
            "sslscan": sslscan.scan(facts.host, facts.port, proto,
                                    hostname="localhost" if proto == "xmpp-starttls" else None)}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", default=",".join(DEFAULT_TARGETS))
    ap.add_argument("--out", type=Path)
    ap.add_argument("--hsprobe-results", type=Path)
    ap.add_argument("--jobs", type=int, default=2, help="targets scanned at once (default 2)")
    ap.add_argument("--no-claims", action="store_true", help="skip the §4 claim checks")
    args = ap.parse_args(argv)
    netns.reexec_in_private_netns([sys.executable, str(Path(__file__).resolve()), *argv])
    netns.assert_private_netns()

    names = [t for t in args.targets.split(",") if t]
    hs = load_hsprobe(args.hsprobe_results)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_path = args.out or REPO_ROOT / "reports" / f"compare-{stamp}.json"
    root = Path(tempfile.mkdtemp(prefix="hsprobe-compare-"))
    root.chmod(0o711)  # nnrpd runs as news and must reach its run directory
    peers = {n: ManagedPeer(load_peer(n).launcher, root / n,
                            ready_timeout=load_peer(n).ready_timeout_s) for n in names}
    # Threads that started launchers must live until the launchers stop (PR_SET_PDEATHSIG).
    pool = ThreadPoolExecutor(max_workers=max(args.jobs, 4))
    report = {"stamp": stamp, "targets": {}, "claims": []}
    try:
        def start(n):
            try:
                return n, peers[n].start()
            except PeerError as e:
                return n, e
        started = dict(pool.map(start, names))
        for n, f in started.items():
            if isinstance(f, Exception):
                print(f"{n}: did not start: {f}", file=sys.stderr)
        ok = [n for n in names if not isinstance(started[n], Exception)]
        with ThreadPoolExecutor(max_workers=args.jobs) as scan_pool:
            results = dict(zip(ok, scan_pool.map(
                lambda n: scan_target(n, started[n], started[n].extra["proto"]), ok)))
        for n in ok:
            row = {"proto": started[n].extra["proto"], "tools": results[n], "checks": {}}
            for check in CHECKS:
                tv, ev = truth(n, check)
                row["checks"][check] = {
                    "testssl": results[n]["testssl"]["findings"].get(check),
                    "sslscan": results[n]["sslscan"]["findings"].get(check),
                    "hsprobe": hs.get((n, check)), "truth": tv, "truth_evidence": ev}
            report["targets"][n] = row
        if not args.no_claims:
            report["claims"] = claims.evaluate(report["targets"], started)
    finally:
        list(pool.map(lambda p: p.stop(timeout=8), peers.values()))
        pool.shutdown()

    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(report, indent=1))
    print_table(report)
    print(f"\nJSON report: {out_path}")
    return 0


def cell(v, t):
    if v is None:
        return ""
    v = str(v)
    mark = agrees(v, t)
    return (v[:38] + "…" if len(v) > 39 else v) + (f" {mark}" if mark else "")


def print_table(report):
    rows = [("target", "check", "testssl", "sslscan", "hsprobe", "truth")]
    for n, row in report["targets"].items():
        for check, c in row["checks"].items():
            if c["truth"] == "?" and c["testssl"] in (None, "n/a") and c["sslscan"] in (None, "n/a"):
                continue
            rows.append((n, check, cell(c["testssl"], c["truth"]), cell(c["sslscan"], c["truth"]),
                         c["hsprobe"] or "", c["truth"]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        print(" | ".join(x.ljust(w) for x, w in zip(r, widths)).rstrip())
        if i == 0:
            print("-+-".join("-" * w for w in widths))
    print("\nwall time per tool (s):")
    for n, row in report["targets"].items():
        print(f"  {n:26} testssl {row['tools']['testssl']['wall_s']:6.2f}   "
              f"sslscan {row['tools']['sslscan']['wall_s']:5.2f}")
    if report["claims"]:
        print("\nspec/tls-downgrade.md §4 claims:")
        for c in report["claims"]:
            print(f"  [{c['verdict']}] {c['claim']}\n      evidence: {c['evidence']}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
