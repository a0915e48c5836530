"""The test session itself runs inside a private network namespace: only `lo`, up, and no route
to anything outside (DESIGN.md "Safety")."""

import errno
import os
import socket
import threading

import pytest

from hsprobe import netns

pytestmark = pytest.mark.e2e


def test_only_loopback_interface():
    assert netns.interfaces() == ["lo"]
    assert netns.in_private_netns()
    netns.assert_private_netns()  # does not raise


def test_loopback_is_up():
    assert netns.lo_is_up()


def test_namespace_differs_from_parent():
    # conftest re-executed pytest under `unshare -n`, so (unless the suite was started inside a
    # namespace by hand) the process that launched pytest sits in a different network namespace.
    if not os.environ.get(netns.REEXEC_MARKER):
        pytest.skip("suite was started inside a namespace, not re-executed by conftest")
    try:
        parent = os.readlink(f"/proc/{os.getppid()}/ns/net")
    except OSError as e:
        pytest.skip(f"cannot read the parent's netns: {e}")
    assert os.readlink("/proc/self/ns/net") != parent


def test_loopback_tcp_works():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        port = srv.getsockname()[1]
        got = []

        def serve():
            conn, _ = srv.accept()
            with conn:
                got.append(conn.recv(16))
                conn.sendall(b"pong")

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        with socket.create_connection(("127.0.0.1", port), timeout=2) as c:
            c.sendall(b"ping")
            assert c.recv(16) == b"pong"
        t.join(2)
        assert got == [b"ping"]


@pytest.mark.parametrize("addr", ["192.0.2.1", "2001:db8::1"])
def test_no_route_out(addr):
    # Connecting a UDP socket needs a route but sends nothing; with only `lo` there is none.
    assert netns.connect_outside_errno(addr, 9) == errno.ENETUNREACH


def test_no_route_out_tcp():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        with pytest.raises(OSError) as ei:
            s.connect(("192.0.2.1", 443))
        assert ei.value.errno == errno.ENETUNREACH
