"""Put a pytest run inside a private network namespace (DESIGN.md "Safety").

Shared by harness/tests/conftest.py and the scenario plugin (hsprobe.pytest_plugin): a gate run
such as `pytest -p hsprobe.pytest_plugin scenarios` never loads harness/tests/conftest.py, and it
starts targets too, so both entry points must re-execute the run under `unshare -n` before
anything is collected.  Calling this twice is harmless: the second call finds the namespace.
"""

from __future__ import annotations

import os
import sys

import pytest

from hsprobe import netns


def enter_private_netns(config: pytest.Config) -> None:
    """Return when this process is in a private netns with `lo` up; otherwise re-execute the
    whole pytest command line under `unshare -n` (never returns) or raise pytest.UsageError."""
    if config.option.help or config.option.version:
        return
    if netns.in_private_netns():
        netns.ensure_lo_up()
        return
    if os.geteuid() != 0:
        raise pytest.UsageError(
            "hsprobe's tests must run inside a private network namespace with only `lo`, and "
            "re-executing pytest under `unshare -n` needs root. Run the suite as root "
            "(e.g. `sudo /usr/bin/python3 -m pytest`), or start it yourself inside a namespace: "
            "`unshare -n sh -c 'ip link set lo up && exec /usr/bin/python3 -m pytest ...'`.")
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is not None:
        capman.stop_global_capturing()
    sys.stdout.flush()
    sys.stderr.flush()
    argv = [sys.executable, *sys.orig_argv[1:]]
    try:
        netns.reexec_in_private_netns(argv)  # does not return
    except netns.NetnsError as e:
        raise pytest.UsageError(str(e)) from e
    raise pytest.UsageError("re-exec into a private network namespace returned unexpectedly")
