#!/usr/bin/python3
"""Compare testssl.sh, sslscan and hsprobe with the truth on the TLS-family peers.

    compare_tools.py [--targets a,b,...] [--out FILE.json] [--markdown FILE.md] [--jobs 2]
                     [--no-claims] [--no-hsprobe | --hsprobe-results values.jsonl]

Runs inside a private network namespace (re-executes itself under `unshare -n` as root, like
pytest), starts each target through its peer launcher on 127.0.0.1, runs both tools against
it (STARTTLS options where the protocol needs them), then build/hsprobe with the target's
scenarios (hsprobe/compare/hsprobe_run.py: which scenarios, and how each result line becomes a
check value), records each tool's wall time, writes a JSON report and prints one table row per
target and check:

    target | check | testssl | sslscan | hsprobe | truth

A tool cell ends in "=" when it agrees with the truth and "!" when it contradicts it.  Then the
known-wrong findings of spec/tls-downgrade.md §4 are confirmed or refuted from this run's data
(plus a few extra runs for the XMPP host-name claims), each with its evidence.

The hsprobe column comes from this run's engine results (the raw result lines go to
FILE.hsprobe.jsonl next to the JSON report, the mapped values to FILE.hsprobe-values.jsonl).
--hsprobe-results FILE instead reads JSON lines with at least {"peer", "check", "value"} (check
and value as in hsprobe/compare/checks.py; e.g. a previous run's .hsprobe-values.jsonl) and does
not run the engine; --no-hsprobe leaves the column empty.
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
from hsprobe.compare import claims, hsprobe_run, sslscan, testssl  # noqa: E402
from hsprobe.compare.checks import CHECKS, NOT_TESTED, agrees  # noqa: E402
from hsprobe.compare.truth import truth  # noqa: E402
from hsprobe.peerdesc import load_peer  # noqa: E402
from hsprobe.peers import REPO_ROOT, ManagedPeer, PeerError  # noqa: E402

DEFAULT_TARGETS = [
    "gnutls-serv", "gnutls-serv-unsafe-reneg", "gnutls-serv-tls12", "openssl-www",
    "openssl-client-reneg", "openssl-legacy-reneg", "openssl-tls10", "scsv-ignored",
    "scsv-enforced", "scsv-bare-close", "scsv-ignored-tls12", "scsv-enforced-tls12",
    "postfix", "dovecot-imap", "dovecot-pop3", "prosody", "inn2", "smtp-inject-bad",
    "smtp-inject-fixed", "imap-inject-bad", "imap-inject-fixed", "pop3-inject-bad",
    "pop3-inject-fixed", "nntp-inject-bad", "nntp-inject-fixed", "xmpp-inject-bad",
    "xmpp-inject-fixed", "xmpp-reneg-accept", "xmpp-reneg-close"]


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


def scan_target(name, facts, proto, hs_index=None, hs_bin=None):
    """The three tools one after another against one target (never at once: s_server serves
    one connection at a time, and each wall time is the tool's alone)."""
    out = {"testssl": testssl.scan(facts.host, facts.port, proto),
           "sslscan": sslscan.scan(facts.host, facts.port, proto,
                                   hostname="localhost" if proto == "xmpp-starttls" else None)}
    if hs_index is not None:
        out["hsprobe"] = hsprobe_run.run_target(REPO_ROOT, hs_bin, hs_index, name,
                                                f"{facts.host}:{facts.port}",
                                                load_peer(name).max_jobs)
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", default=",".join(DEFAULT_TARGETS))
    ap.add_argument("--out", type=Path)
    ap.add_argument("--hsprobe-results", type=Path,
                    help="hsprobe column from this file ({peer, check, value} lines), no engine run")
    ap.add_argument("--no-hsprobe", action="store_true", help="do not run build/hsprobe")
    ap.add_argument("--hsprobe-bin", type=Path, default=None,
                    help="the engine (default: build/hsprobe)")
    ap.add_argument("--markdown", type=Path, help="also write the tables as Markdown here")
    ap.add_argument("--jobs", type=int, default=2, help="targets scanned at once (default 2)")
    ap.add_argument("--no-claims", action="store_true", help="skip the §4 claim checks")
    args = ap.parse_args(argv)
    netns.reexec_in_private_netns([sys.executable, str(Path(__file__).resolve()), *argv])
    netns.assert_private_netns()

    names = [t for t in args.targets.split(",") if t]
    hs = load_hsprobe(args.hsprobe_results)
    run_hs = not args.no_hsprobe and not args.hsprobe_results
    hs_bin = (args.hsprobe_bin or REPO_ROOT / "build" / "hsprobe").resolve()
    hs_index = None
    if run_hs:
        if not hs_bin.exists():
            print(f"{hs_bin}: not built (make build), or pass --no-hsprobe", file=sys.stderr)
            return 2
        hs_index = hsprobe_run.scenario_index(REPO_ROOT, hs_bin)
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
                lambda n: scan_target(n, started[n], started[n].extra["proto"], hs_index,
                                      hs_bin), ok)))
        raw_lines, value_lines = [], []
        for n in ok:
            hsr = results[n].get("hsprobe")
            if hsr is not None:
                raw_lines += [json.dumps({"peer": n, **r}) for r in hsr.pop("results")]
                hs.update({(n, c): v for c, v in hsr["findings"].items()})
                value_lines += [json.dumps({"peer": n, "check": c, "value": v})
                                for c, v in hsr["findings"].items()]
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
            claims.hsprobe_answers(report["claims"], report["targets"])
    finally:
        list(pool.map(lambda p: p.stop(timeout=8), peers.values()))
        pool.shutdown()

    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(report, indent=1))
    if run_hs:
        out_path.with_suffix(".hsprobe.jsonl").write_text("".join(x + "\n" for x in raw_lines))
        out_path.with_suffix(".hsprobe-values.jsonl").write_text(
            "".join(x + "\n" for x in value_lines))
    print_table(report)
    if args.markdown:
        args.markdown.write_text(markdown(report))
        print(f"\nMarkdown tables: {args.markdown}")
    print(f"\nJSON report: {out_path}")
    return 0


def cell(v, t, width=39):
    if v is None:
        return ""
    v = str(v)
    mark = agrees(v, t)
    return (v[:width - 1] + "…" if len(v) > width else v) + (f" {mark}" if mark else "")


def table_rows(report, width=39):
    """(target, check, testssl, sslscan, hsprobe, truth) per row; rows where nothing is known
    (truth "?") and no tool answered are left out."""
    quiet = (None, "n/a", NOT_TESTED)
    rows = []
    for n, row in report["targets"].items():
        for check, c in row["checks"].items():
            if (c["truth"] == "?" and c["testssl"] in quiet and c["sslscan"] in quiet
                    and c["hsprobe"] is None):
                continue
            rows.append((n, check, cell(c["testssl"], c["truth"], width),
                         cell(c["sslscan"], c["truth"], width),
                         cell(c["hsprobe"], c["truth"], width), c["truth"]))
    return rows


def tally(report):
    """Per tool: cells agreeing with a known truth, contradicting it, and with no answer."""
    out = {}
    for tool in ("testssl", "sslscan", "hsprobe"):
        agree = wrong = none = 0
        for row in report["targets"].values():
            for c in row["checks"].values():
                if c["truth"] in (None, "?"):
                    continue
                v = c[tool]
                if v in (None, NOT_TESTED, "n/a"):
                    none += 1
                elif v == c["truth"]:
                    agree += 1
                else:
                    wrong += 1
        out[tool] = (agree, wrong, none)
    return out


def walls(report):
    """[(target, testssl s, sslscan s, hsprobe s or None, checks hsprobe answered)]."""
    out = []
    for n, row in report["targets"].items():
        t = row["tools"]
        hs = t.get("hsprobe")
        out.append((n, t["testssl"]["wall_s"], t["sslscan"]["wall_s"],
                    hs["wall_s"] if hs and hs["argv"] else None,
                    sorted(hs["findings"]) if hs else []))
    return out


def _ratio(a, b):
    return f"{a / b:.0f}x" if b and a / b >= 10 else f"{a / b:.1f}x" if b else "–"


def print_table(report):
    rows = [("target", "check", "testssl", "sslscan", "hsprobe", "truth"), *table_rows(report)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        print(" | ".join(x.ljust(w) for x, w in zip(r, widths)).rstrip())
        if i == 0:
            print("-+-".join("-" * w for w in widths))
    print("\nagreement with the truth (cells with a known truth: agree / wrong / no answer):")
    for tool, (a, w, nn) in tally(report).items():
        print(f"  {tool:8} {a:3} = {w:3} ! {nn:3} none")
    print("\nwall time per tool (s), testssl/hsprobe ratio:")
    tt = ts = th = tt_hs = 0.0
    for n, t, s, h, _ in walls(report):
        tt, ts = tt + t, ts + s
        if h is not None:
            th, tt_hs = th + h, tt_hs + t
        print(f"  {n:26} testssl {t:6.2f}   sslscan {s:5.2f}   hsprobe "
              + (f"{h:5.2f}   {_ratio(t, h)}" if h is not None else "  –"))
    print(f"  {'total':26} testssl {tt:6.2f}   sslscan {ts:5.2f}   hsprobe {th:5.2f}"
          f"   (testssl on the targets hsprobe ran: {tt_hs:.2f}, {_ratio(tt_hs, th)})")
    if report["claims"]:
        print("\nspec/tls-downgrade.md §4 claims:")
        for c in report["claims"]:
            print(f"  [{c['verdict']}] {c['claim']}\n      evidence: {c['evidence']}")
            if "hsprobe" in c:
                print(f"      hsprobe: {c['hsprobe']}")


def markdown(report) -> str:
    esc = lambda x: str(x).replace("|", "\\|")  # noqa: E731
    out = ["| target | check | testssl | sslscan | hsprobe | truth |", "|---|---|---|---|---|---|"]
    out += ["| " + " | ".join(esc(x) for x in r) + " |" for r in table_rows(report, width=60)]
    out += ["", "| tool | agrees with the truth (=) | contradicts it (!) | no answer |",
            "|---|---|---|---|"]
    out += [f"| {tool} | {a} | {w} | {nn} |" for tool, (a, w, nn) in tally(report).items()]
    out += ["", "| target | testssl `-p -R -Z -O` (s) | sslscan (s) | hsprobe (s) "
                "| testssl / hsprobe | checks hsprobe answered |", "|---|---|---|---|---|---|"]
    tt = ts = th = tt_hs = 0.0
    for n, t, s, h, checks in walls(report):
        tt, ts = tt + t, ts + s
        if h is not None:
            th, tt_hs = th + h, tt_hs + t
        out.append(f"| {n} | {t:.2f} | {s:.2f} | " + (f"{h:.2f} | {_ratio(t, h)}" if h is not None
                                                       else "– | –") + f" | {', '.join(checks)} |")
    out.append(f"| **total** | {tt:.2f} | {ts:.2f} | {th:.2f} | {_ratio(tt_hs, th)} "
               f"(testssl {tt_hs:.2f} s on the targets hsprobe ran) | |")
    if report["claims"]:
        out += ["", "| claim | verdict | evidence (tools) | hsprobe on the same targets |",
                "|---|---|---|---|"]
        for c in report["claims"]:
            hv = c.get("hsprobe", "")
            right = c.get("hsprobe_right")
            partial = "no hsprobe scenario" in hv
            tag = "" if "hsprobe" not in c else (
                " **(hsprobe right where it has a scenario)**" if right and partial else
                " **(hsprobe right)**" if right else
                                                 " **(hsprobe WRONG)**" if right is False
                                                 else " (no hsprobe answer)")
            out.append(f"| {esc(c['claim'])} | **{c['verdict']}** | {esc(c['evidence'])} | "
                       f"{esc(hv)}{tag} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
