"""The initiator's deviation paths, driven by a known-bad responder the project writes.

The real relay always behaves, so it cannot show that `hsprobe handshake` notices a responder
that does not: this scripted TLS server (Python ssl, a throwaway self-signed certificate) reads
our VERSIONS and answers with a fixed, wrong byte script.  Each case must end in exit 1
(deviated) with evidence naming what went wrong — never 0, never a hang.
"""
import datetime
import socket
import ssl
import struct
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

pytestmark = pytest.mark.e2e


def var_cell(width: int, cmd: int, body: bytes, circ: int = 0) -> bytes:
    head = struct.pack(">H" if width == 2 else ">I", circ)
    return head + bytes([cmd]) + struct.pack(">H", len(body)) + body


VERSIONS_345 = var_cell(2, 7, b"\x00\x03\x00\x04\x00\x05")


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.knownbad.net")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    d = tmp_path_factory.mktemp("knownbad")
    (d / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                  serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(d / "cert.pem", d / "key.pem")
    return ctx


@pytest.fixture
def scripted_responder(tls_context):
    """Returns start(script) → 'HOST:PORT'; the server reads our VERSIONS cell, writes script,
    then closes (FIN)."""
    servers = []

    def start(script: bytes) -> str:
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        lsock.settimeout(10)

        def serve():
            try:
                conn, _ = lsock.accept()
                with tls_context.wrap_socket(conn, server_side=True) as t:
                    got = b""  # our VERSIONS: 2-byte circ id, cmd, u16 length, body
                    while len(got) < 5 or len(got) < 5 + struct.unpack(">H", got[3:5])[0]:
                        chunk = t.recv(64)
                        if not chunk:
                            return
                        got += chunk
                    t.sendall(script)
            except (OSError, ssl.SSLError):
                pass
            finally:
                lsock.close()

        th = threading.Thread(target=serve, daemon=True)
        th.start()
        servers.append(th)
        return f"127.0.0.1:{lsock.getsockname()[1]}"

    yield start
    for th in servers:
        th.join(timeout=10)


CASES = {
    # id: (script, stopped_in, words the summary must contain)
    "odd-length-versions": (var_cell(2, 7, b"\x00\x03\x00"), "wait-versions", "malformed"),
    "only-obsolete-version": (var_cell(2, 7, b"\x00\x02"), "wait-versions",
                              "no common link version"),
    "auth-challenge-before-certs": (
        VERSIONS_345 + var_cell(4, 130, b"\x00" * 32 + b"\x00\x01\x00\x03"), "wait-certs",
        "unexpected AUTH_CHALLENGE"),
    "fixed-padding-during-handshake": (VERSIONS_345 + b"\x00" * 4 + b"\x00" + b"\x00" * 509,
                                       "wait-certs", "unexpected PADDING"),
    "certs-count-beyond-entries": (VERSIONS_345 + var_cell(4, 129, b"\x05\x01\x00\x01\xaa"),
                                   "wait-certs", "could not be parsed"),
    "close-after-versions": (VERSIONS_345, "wait-certs", "closed the connection"),
    "close-mid-cell": (VERSIONS_345 + var_cell(4, 129, b"\x01" * 40)[:20], "wait-certs",
                       "middle of a cell"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_known_bad_responder_is_a_deviation(case, scripted_responder, run_hsprobe):
    script, state, words = CASES[case]
    addr = scripted_responder(script)
    run = run_hsprobe(["handshake", addr, "--timeout", "3000", "--json"], timeout=20)
    obj = run.json
    assert run.rc == 1, run.describe()
    assert obj["verdict"] == "deviated"
    assert obj["stopped_in"] == state, obj["summary"]
    assert words in obj["summary"], obj["summary"]
    recv = [e for e in obj["transcript"] if e["dir"] == "recv"]
    if case.startswith("close"):
        assert obj["close"]["kind"] == "FIN"
        assert (obj["close"]["pending_bytes"] > 0) == (case == "close-mid-cell")
    else:
        assert recv, "the offending cell must be in the evidence"


def test_answering_instead_of_closing_is_a_deviation(scripted_responder, run_hsprobe):
    """Offered only versions 1,2 the responder must close; a VERSIONS reply with nothing in
    common is a deviation, and choosing 2 is a downgrade."""
    addr = scripted_responder(VERSIONS_345)
    run = run_hsprobe(["handshake", addr, "--versions", "1,2", "--json"], timeout=20)
    assert run.rc == 1, run.describe()
    assert "although no version is in common" in run.json["summary"]
    addr = scripted_responder(var_cell(2, 7, b"\x00\x02"))
    run = run_hsprobe(["handshake", addr, "--versions", "1,2", "--json"], timeout=20)
    assert run.rc == 1, run.describe()
    assert "obsolete link version 2" in run.json["summary"]
