#!/usr/bin/python3
"""`make run`: the built-in default job.

Re-executes itself inside a private network namespace (only `lo`), starts a local tor relay
(peers/tor-relay), runs `hsprobe handshake` against it for every TLS version × link version,
plus the no-common-version probe, and writes everything to reports/<UTC timestamp>/:
one JSON and one text report per handshake, a TLS key log, the relay's logs, summary.txt.
reports/latest points at the newest run.  Exit status 0 only if every handshake was
conformant.
"""
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hsprobe import netns  # noqa: E402
from hsprobe.peers import ManagedPeer, PeerError, peer_launcher  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
HSPROBE = Path(os.environ.get("HSPROBE_BIN", REPO / "build" / "hsprobe")).resolve()

# (label, extra arguments): the matrix issue #2 asks for, plus the downgrade probe.
CASES = [(f"tls1{t[-1]}-link{v}", ["--tls", t, "--versions", str(v)])
         for t in ("1.2", "1.3") for v in (3, 4, 5)]
CASES.append(("default-offer", []))
CASES.append(("versions-1-2", ["--versions", "1,2"]))


def main() -> int:
    netns.reexec_in_private_netns([sys.executable, *sys.argv])
    netns.assert_private_netns()
    if not HSPROBE.exists():
        print(f"run: {HSPROBE} is missing; run `make` first", file=sys.stderr)
        return 4
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = REPO / "reports" / stamp
    out.mkdir(parents=True, exist_ok=True)
    latest = REPO / "reports" / "latest"
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(stamp)

    keylog = out / "tls-keys.log"
    rows = []
    try:
        with ManagedPeer(peer_launcher("tor-relay"), out / "relay") as relay:
            print(f"relay ready at {relay.addr}  rsa={relay.rsa_fp}  ed25519={relay.ed25519_id}")
            for label, extra in CASES:
                argv = [str(HSPROBE), "handshake", relay.addr, "--keylog", str(keylog), *extra]
                text = subprocess.run(argv, capture_output=True, text=True, timeout=60)
                js = subprocess.run(argv + ["--json"], capture_output=True, text=True, timeout=60)
                (out / f"{label}.txt").write_text(text.stdout + text.stderr)
                (out / f"{label}.json").write_text(js.stdout)
                try:
                    doc = json.loads(js.stdout)
                except json.JSONDecodeError:
                    doc = {"verdict": "harness-error", "summary": js.stderr.strip()}
                ident = doc.get("identity") or {}
                same_id = ident.get("rsa_fingerprint") in (None, relay.rsa_fp)
                rows.append((label, text.returncode, js.returncode, doc, same_id))
    except PeerError as e:
        print(f"run: the tor relay did not start: {e}", file=sys.stderr)
        return 4

    lines = [f"hsprobe run {stamp}: Tor link handshake against a local tor relay", ""]
    lines.append(f"{'case':<16} {'exit':>4}  {'verdict':<11} {'link':>4}  {'TLS':<7} "
                 f"{'checks':>7}  {'ms':>6}  summary")
    ok = True
    for label, rc_text, rc_json, doc, same_id in rows:
        checks = doc.get("checks") or []
        passed = sum(1 for c in checks if c.get("ok"))
        tls = (doc.get("tls") or {}).get("version") or "-"
        total = (doc.get("timings_ms") or {}).get("total", 0.0)
        good = rc_text == 0 and rc_json == 0 and same_id
        ok = ok and good
        lines.append(f"{label:<16} {rc_text:>4}  {doc.get('verdict', '?'):<11} "
                     f"{doc.get('link_version') or '-':>4}  {tls:<7} {passed:>3}/{len(checks):<3}  "
                     f"{total:6.1f}  {doc.get('summary', '')}")
        if not same_id:
            lines.append("    identity in CERTS differs from the relay's own fingerprint file!")
    lines += ["", f"all conformant: {'yes' if ok else 'NO'}",
              f"report: {out}  (reports/latest)",
              f"per case: <case>.txt, <case>.json; TLS key log: {keylog.name}; relay logs: relay/"]
    summary = "\n".join(lines) + "\n"
    (out / "summary.txt").write_text(summary)
    print(summary, end="")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
