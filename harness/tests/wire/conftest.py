"""`relay_recording` (session): a handful of scenarios run ONCE against the session's tor relay
under a capture (hsprobe.wire.record), for the tests here that need real TLS traffic: TLS 1.3,
TLS 1.2, plain TCP, a refused renegotiation, and correct / deliberately wrong AUTHENTICATEs."""

import shutil
from pathlib import Path

import pytest

from hsprobe.wire.record import record_run

REPO = Path(__file__).resolve().parents[3]
SCENARIOS = ["tor/versions/offer-3-4-5.scn", "tor/tls/cert-bound-tls12.scn",
             "tor/framing/http-instead-of-tls.scn", "tor/tls/renegotiation-then-handshake.scn",
             "tor/auth/authenticate-valid-tls12.scn", "tor/auth/authenticate-valid-tls13.scn",
             "tor/auth/authenticate-slog-zeros.scn"]


@pytest.fixture(scope="session")
def relay_recording(tor_relay, hsprobe_bin, tmp_path_factory):
    files = [REPO / "scenarios" / s for s in SCENARIOS]
    missing = [str(f) for f in files if not f.exists()]
    assert not missing, f"scenario files gone: {missing}"
    rec = record_run(hsprobe_bin, files, tor_relay.host, tor_relay.port,
                     tmp_path_factory.mktemp("recording"))
    assert rec.lines == len(files), rec.engine_stderr
    assert rec.job.stats.dropped == 0 and rec.job.stats.error is None, rec.job.stats
    return rec


@pytest.fixture
def run_copy(relay_recording, tmp_path):
    """A private copy of the recorded run directory (tests mutate it) and its job."""
    d = tmp_path / "run"
    shutil.copytree(relay_recording.run_dir, d)
    return d, relay_recording.job_for(d)
