"""Peer descriptors (hsprobe.peerdesc): the per-scenario peer command the engine is given."""
import shutil
from pathlib import Path

import pytest

from hsprobe.peerdesc import DEFAULT_PEERS_ROOT, PeerConfigError, load_peer


def test_tor_client_is_started_per_scenario_with_the_bridge_and_fingerprint():
    d = load_peer("tor-client")
    assert d.can_serve("responder", "tor-link") and not d.can_serve("initiator", "tor-link")
    cmd = d.peer_cmd(d.serves["responder"])
    assert cmd.split() == [str(d.launcher), "--run-dir", "{dir}", "--role", "initiator",
                           "--bridge", "{addr}", "--fingerprint", "{fp}"]
    assert load_peer("tor-relay").per_scenario is None  # started once per batch


def _copy(tmp_path: Path, extra: str) -> Path:
    root = tmp_path / "peers"
    shutil.copytree(DEFAULT_PEERS_ROOT / "tor-client", root / "tc")
    toml = root / "tc" / "peer.toml"
    toml.write_text(toml.read_text().replace('per_scenario = "--bridge {addr} --fingerprint {fp}"',
                                              extra))
    return root


def test_per_scenario_must_be_a_string(tmp_path):
    root = _copy(tmp_path, "per_scenario = 3")
    with pytest.raises(PeerConfigError, match="per_scenario"):
        load_peer("tc", root)


def test_a_launcher_path_with_spaces_cannot_be_a_peer_command(tmp_path):
    root = _copy(tmp_path / "with space", 'per_scenario = "--bridge {addr}"')
    with pytest.raises(PeerConfigError, match="spaces"):
        load_peer("tc", root).peer_cmd("initiator")


def test_a_server_that_serves_one_connection_at_a_time_says_so():
    # openssl s_server takes one connection at a time: its scenarios run one after another
    # (batch.run_batch caps --jobs at max_jobs); without it they time out waiting in its queue.
    assert load_peer("openssl-www").max_jobs == 1
    assert load_peer("gnutls-serv").max_jobs is None


@pytest.mark.parametrize("value", ["0", "-1", '"1"', "1.5"])
def test_max_jobs_must_be_a_positive_integer(tmp_path, value):
    root = _copy(tmp_path, f'per_scenario = "--bridge {{addr}}"\nmax_jobs = {value}')
    with pytest.raises(PeerConfigError, match="max_jobs"):
        load_peer("tc", root)
