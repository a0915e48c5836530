"""The engine's TLS key log and transcript, checked against the wire by an independent decoder.

tcpdump captures one handshake with the real relay; tshark decrypts the capture with the key log
the engine wrote (--keylog); the plaintext that crossed the wire, per direction, must equal
byte for byte the transcript the engine reports (--json).  A wrong key log leaves tshark with
nothing to decrypt, and a transcript that misses or alters a cell differs from the wire, so
both fail here.
"""
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def _start_capture(pcap: Path, port: int) -> subprocess.Popen:
    err = pcap.with_suffix(".tcpdump.err")
    proc = subprocess.Popen(
        ["tcpdump", "-i", "lo", "--immediate-mode", "-U", "-Z", "root", "-w", str(pcap),
         f"tcp port {port}"],
        stdout=subprocess.DEVNULL, stderr=open(err, "wb"))
    deadline = time.monotonic() + 10
    while b"listening on" not in err.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"tcpdump did not start: {err.read_text()}")
        time.sleep(0.02)
    return proc


def _stop_capture(proc: subprocess.Popen) -> None:
    time.sleep(0.2)  # let the last FIN/ACK reach the capture
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)


def _wire_plaintext(pcap: Path, keylog: Path, port: int) -> dict:
    out = subprocess.run(
        ["tshark", "-r", str(pcap), "-o", f"tls.keylog_file:{keylog}",
         "-d", f"tcp.port=={port},tls", "-T", "fields", "-e", "tcp.srcport", "-e", "data.data"],
        capture_output=True, text=True, timeout=60, check=True).stdout
    wire = {"sent": b"", "recv": b""}
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) < 2 or not cols[1]:
            continue
        direction = "recv" if int(cols[0]) == port else "sent"
        for rec in cols[1].split(","):
            wire[direction] += bytes.fromhex(rec)
    return wire


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_transcript_equals_decrypted_wire(tls, tor_relay, hsprobe_bin, tmp_path):
    pcap, keylog = tmp_path / "cap.pcap", tmp_path / "keys.log"
    cap = _start_capture(pcap, tor_relay.port)
    try:
        res = subprocess.run([str(hsprobe_bin), "handshake", tor_relay.addr, "--tls", tls,
                              "--keylog", str(keylog), "--json"],
                             capture_output=True, text=True, timeout=30)
    finally:
        _stop_capture(cap)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["tls"]["version"] == f"TLS{tls}"
    labels = {line.split()[0] for line in keylog.read_text().splitlines()}
    if tls == "1.2":
        assert labels == {"CLIENT_RANDOM"}
    else:
        assert {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"} <= labels

    ours = {"sent": b"", "recv": b""}
    for rec in doc["transcript"]:
        ours[rec["dir"]] += bytes.fromhex(rec["hex"])
    wire = _wire_plaintext(pcap, keylog, tor_relay.port)
    assert wire["sent"], "tshark decrypted nothing we sent: the key log does not match the session"
    assert wire["recv"], "tshark decrypted nothing the relay sent"
    # The relay's flight must be all there and identical; the engine stops reading after
    # CREATED_FAST, so the wire may carry more (e.g. padding) after what the transcript holds.
    assert wire["sent"] == ours["sent"]
    assert wire["recv"][:len(ours["recv"])] == ours["recv"]
    # First bytes on the wire are our VERSIONS with a 2-byte circ id (tor-link.md §1.15).
    assert wire["sent"][:11] == bytes.fromhex("0000070006000300040005")
