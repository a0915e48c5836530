"""A peer's run directory must be reachable by the users its daemons drop to (postfix, news):
a report under a 0700 directory (a clone in /root) gets a 0711 stand-in under /tmp, whose files
end up in the report when the peer stops (found by a fresh-clone CI run in /root)."""
import os
import shutil
import stat
import tempfile
from pathlib import Path

from hsprobe.batch import _keep_run_dir, _searchable_run_dir


def test_a_report_under_a_private_directory_runs_the_peer_elsewhere(tmp_path):
    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    wanted = private / "reports" / "r1" / "peers" / "postfix-responder"
    used = _searchable_run_dir(wanted, "postfix")
    try:
        assert used != wanted and str(used).startswith("/tmp/hsprobe-peer-postfix-")
        assert stat.S_IMODE(used.stat().st_mode) == 0o711
        assert wanted.is_symlink() and wanted.resolve() == used.resolve()  # reachable meanwhile
        (used / "conf").mkdir()
        (used / "conf" / "main.cf").write_text("inet_interfaces = 127.0.0.1\n")
        (used / "postfix.log").write_text("started\n")
        os.mkfifo(used / "public-pickup")            # a daemon's FIFO is not evidence
        _keep_run_dir(used, wanted)
        assert (wanted / "conf" / "main.cf").read_text().startswith("inet_interfaces")
        assert (wanted / "postfix.log").read_text() == "started\n"
        assert not (wanted / "public-pickup").exists()
        assert not used.exists() and not wanted.is_symlink()
    finally:
        if used.exists():
            _keep_run_dir(used, wanted)


def test_a_searchable_report_is_used_as_it_is():
    base = Path(tempfile.mkdtemp(prefix="hsprobe-test-rundir-", dir="/tmp"))
    try:
        base.chmod(0o755)                            # /tmp itself is 1777
        wanted = base / "peers" / "postfix-responder"
        assert _searchable_run_dir(wanted, "postfix") == wanted
    finally:
        shutil.rmtree(base)
