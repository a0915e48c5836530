"""A throwaway self-signed certificate for one run directory (spec/tls-downgrade.md §3).

Kept when the run directory already has one, so restarting a peer in the same directory shows
the same fingerprint (as tor-relay keeps its identity)."""

import hashlib
import ssl
import subprocess
from pathlib import Path


def ensure_cert(run_dir: Path, cn: str = "localhost") -> tuple[Path, Path]:
    cert, key = run_dir / "cert.pem", run_dir / "key.pem"
    if cert.is_file() and key.is_file():
        return cert, key
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "30", "-subj", f"/CN={cn}",
         "-addext", f"subjectAltName=DNS:{cn},IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30)
    key.chmod(0o600)  # DESIGN.md "Safety": generated private keys are 0600
    return cert, key


def cert_sha256(cert: Path) -> str:
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    return hashlib.sha256(der).hexdigest().upper()
