"""The engine authenticates to a real tor relay as an initiator (tor-link.md §1.12, case F01).

The relay's own log is the independent evidence: after a correct AUTHENTICATE tor records the
peer's RSA identity ("… Its ID digest is <FP>") — the fingerprint of the identity the engine
loaded with --identity.  A wrong field (SLOG zeroed, the rest correct and signed) must instead
be refused with tor's "Some field in the AUTHENTICATE cell body was not as expected", so the
acceptance is not something any AUTHENTICATE would get.
"""
import json
import re
import shutil
import stat
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

IDENTITY = Path(__file__).resolve().parents[3] / "vectors" / "identities" / "harness-a"
SCEN = Path(__file__).resolve().parents[3] / "scenarios" / "tor" / "auth"


def _fingerprint(ident: Path) -> str:
    fields = dict(line.split(" ", 1) for line in ident.joinpath("fingerprints").read_text()
                  .splitlines())
    return fields["rsa-sha1"].strip()


def _relay_log_lines(relay, pattern: str, timeout: float = 5.0) -> list[str]:
    deadline = time.monotonic() + timeout
    rx = re.compile(pattern)
    while True:
        text = (relay.run_dir / "info.log").read_text(errors="replace")
        hits = [line for line in text.splitlines() if rx.search(line)]
        if hits or time.monotonic() > deadline:
            return hits
        time.sleep(0.05)


@pytest.mark.parametrize("scenario", ["authenticate-valid-tls13.scn", "authenticate-valid-tls12.scn"])
def test_relay_names_our_fingerprint(scenario, tor_relay, run_hsprobe, tmp_path):
    ident = tmp_path / "ident"
    shutil.copytree(IDENTITY, ident)
    res_file = tmp_path / "r.jsonl"
    r = run_hsprobe(["run", SCEN / scenario, "--target", tor_relay.addr, "--identity", ident,
                     "--results", res_file, "--quiet"], timeout=20)
    assert r.rc == 0, r.describe()
    result = json.loads(res_file.read_text())
    fp = _fingerprint(ident)
    assert result["identity"]["rsa_sha1"] == fp
    port = result["evidence"]["connections"][0]["local_port"]
    hits = _relay_log_lines(tor_relay, rf"127\.0\.0\.1:{port}\b.*ID digest is {fp}")
    assert hits, f"the relay never logged our fingerprint {fp} for 127.0.0.1:{port}"
    # Every authenticator field the engine claims to have computed is in the cell it sent.
    cell = next(c for c in result["evidence"]["connections"][0]["cells"] if "auth" in c)
    fields = cell["auth"]["fields"]
    assert {k for k, v in fields.items() if v["source"] == "computed"} == {
        "cid", "sid", "cid_ed", "sid_ed", "slog", "clog", "scert", "tlssecrets", "sig"}
    body = bytes.fromhex(cell["hex"])[4 + 3 + 4:]  # circ id (4), cmd, length; AuthType, AuthLen
    order = ["cid", "sid", "cid_ed", "sid_ed", "slog", "clog", "scert", "tlssecrets", "rand"]
    assert body[:8] == b"AUTH0003"
    off = 8
    for name in order:
        v = bytes.fromhex(fields[name]["hex"])
        assert body[off:off + len(v)] == v, name
        off += len(v)
    assert body[off:off + 64] == bytes.fromhex(fields["sig"]["hex"])


def test_one_wrong_field_is_refused_with_tors_reason(tor_relay, run_hsprobe, tmp_path):
    res_file = tmp_path / "r.jsonl"
    r = run_hsprobe(["run", SCEN / "authenticate-slog-zeros.scn", "--target", tor_relay.addr,
                     "--identity", IDENTITY, "--results", res_file, "--quiet"], timeout=20)
    assert r.rc == 0, r.describe()
    result = json.loads(res_file.read_text())
    assert result["outcome"]["kind"] == "close"
    port = result["evidence"]["connections"][0]["local_port"]
    hits = _relay_log_lines(tor_relay, rf"127\.0\.0\.1:{port}\b.*Some field in the "
                                       r"AUTHENTICATE cell body was not as expected")
    assert hits, "tor did not refuse the authenticator for the reason the scenario targets"
    cell = next(c for c in result["evidence"]["connections"][0]["cells"] if "auth" in c)
    assert cell["auth"]["fields"]["slog"] == {"hex": "00" * 32, "source": "scenario"}


def test_identity_new_show_and_bad_input(run_hsprobe, tmp_path):
    d = tmp_path / "id"
    r = run_hsprobe(["identity", "new", d, "--seed", "5", "--link-bits", "1024"], timeout=60)
    assert r.rc == 0, r.describe()
    for name in ("rsa-identity.pem", "rsa-link.pem", "rsa-auth.pem", "ed25519.keys"):
        assert stat.S_IMODE(d.joinpath(name).stat().st_mode) == 0o600, name
    shown = run_hsprobe(["identity", "show", d])
    assert shown.rc == 0 and _fingerprint(d) in shown.stdout
    # Same seed, same Ed25519 identity and names (RSA keys come from GnuTLS and differ).
    d2 = tmp_path / "id2"
    assert run_hsprobe(["identity", "new", d2, "--seed", "5", "--link-bits", "1024"],
                       timeout=60).rc == 0
    assert d.joinpath("names").read_text() == d2.joinpath("names").read_text()
    ed = lambda p: p.joinpath("ed25519.keys").read_text()  # noqa: E731
    assert ed(d) == ed(d2)
    # A damaged file is named with its line.
    d.joinpath("ed25519.keys").write_text("identity 00\n")
    bad = run_hsprobe(["identity", "show", d])
    assert bad.rc == 2 and "ed25519.keys" in bad.stderr, bad.describe()
    missing = run_hsprobe(["run", SCEN / "authenticate-valid-tls13.scn", "--target",
                           "127.0.0.1:9", "--identity", tmp_path / "nope"])
    assert missing.rc == 2 and "rsa-identity.pem" in missing.stderr, missing.describe()
