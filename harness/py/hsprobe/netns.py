"""Private network namespace guard.

Everything in hsprobe that starts a target or talks to one runs inside a network namespace that
has only the loopback interface (DESIGN.md "Safety", spec/tor-link.md section 7).  Inside such a
namespace any attempt to reach an outside address fails locally with ENETUNREACH, so a mistake in a
torrc cannot reach the public Tor network.

Interfaces are listed with if_nameindex(3) (netlink, always the *calling* process's namespace).
/sys/class/net is NOT used: it shows the namespace of whoever mounted sysfs, so after a bare
`unshare -n` it still lists the host's interfaces.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import struct
import subprocess
from typing import Sequence

__all__ = [
    "NetnsError",
    "REEXEC_MARKER",
    "interfaces",
    "lo_is_up",
    "ensure_lo_up",
    "in_private_netns",
    "assert_private_netns",
    "reexec_in_private_netns",
]

# Set in the environment of the re-executed process; seeing it while still outside a private
# namespace means the re-exec did not work, and we stop instead of looping.
REEXEC_MARKER = "HSPROBE_NETNS_REEXEC"

_SIOCGIFFLAGS = 0x8913
_IFF_UP = 0x1


class NetnsError(RuntimeError):
    """The process is not (and could not be put) inside a private network namespace."""


def interfaces() -> list[str]:
    """Names of the network interfaces visible in this process's network namespace."""
    return sorted(name for _idx, name in socket.if_nameindex())


def in_private_netns() -> bool:
    """True when the only interface in this network namespace is `lo`."""
    try:
        return interfaces() == ["lo"]
    except OSError:
        return False


def lo_is_up() -> bool:
    """True when the loopback interface has IFF_UP set."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH22x", b"lo", 0)
        try:
            res = fcntl.ioctl(s.fileno(), _SIOCGIFFLAGS, req)
        except OSError:
            return False
    (flags,) = struct.unpack_from("H", res, 16)
    return bool(flags & _IFF_UP)


def ensure_lo_up() -> None:
    """Bring `lo` up in the current namespace (needs CAP_NET_ADMIN there; root is enough)."""
    if lo_is_up():
        return
    proc = subprocess.run(["ip", "link", "set", "lo", "up"], capture_output=True, text=True)
    if proc.returncode != 0 or not lo_is_up():
        raise NetnsError(f"could not bring up lo in the private network namespace: "
                         f"`ip link set lo up` exited {proc.returncode}: {proc.stderr.strip()}")


def _describe() -> str:
    try:
        names = ", ".join(interfaces()) or "(none)"
    except OSError as e:
        names = f"(cannot list: {e})"
    return f"interfaces visible: {names}"


def assert_private_netns() -> None:
    """Raise NetnsError unless this process is in a private netns (only `lo`) and `lo` is up."""
    if not in_private_netns():
        raise NetnsError(
            "refusing to continue: not inside a private network namespace with only `lo` "
            f"({_describe()}). Run under `unshare -n` as root (the pytest suite re-executes itself "
            "that way); targets such as tor must never run where they can reach the network.")
    if not lo_is_up():
        raise NetnsError("inside a private network namespace, but `lo` is down "
                         "(run `ip link set lo up`)")


def reexec_in_private_netns(argv: Sequence[str]) -> None:
    """Make sure the rest of the program runs inside a private network namespace.

    If this process already is inside one, bring `lo` up and return.  Otherwise replace the process
    with `unshare -n -- /bin/sh -c 'ip link set lo up && exec "$@"' sh ARGV...` (never returns).
    Needs root.  An environment marker stops a loop if the re-executed program still finds
    itself outside.
    """
    if in_private_netns():
        ensure_lo_up()
        return
    if os.environ.get(REEXEC_MARKER):
        raise NetnsError(
            f"re-executed under `unshare -n` ({REEXEC_MARKER} is set) but still not in a private "
            f"network namespace ({_describe()}); giving up instead of looping")
    if os.geteuid() != 0:
        raise NetnsError(
            "hsprobe must run inside a private network namespace with only `lo`, and creating one "
            "with `unshare -n` needs root (or CAP_SYS_ADMIN). Run as root, or start the command "
            "yourself under `unshare -n` / `ip netns exec`.")
    if not argv:
        raise NetnsError("reexec_in_private_netns: empty argv")
    os.environ[REEXEC_MARKER] = "1"
    args = ["unshare", "-n", "--", "/bin/sh", "-c", 'ip link set lo up && exec "$@"', "sh",
            *argv]
    try:
        os.execvp("unshare", args)
    except OSError as e:  # pragma: no cover - only when unshare(1) is missing
        raise NetnsError(f"cannot execute unshare(1): {e}") from e


def connect_outside_errno(addr: str = "192.0.2.1", port: int = 9) -> int:
    """errno of connecting a UDP socket to an outside address (0 if it worked: a route exists)."""
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        try:
            s.connect((addr, port))
        except OSError as e:
            return e.errno or errno.EIO
    return 0
