"""hsprobe Python side: network-namespace guard, peer management and test helpers.

The handshake engine itself is C (harness/src, built as build/hsprobe); this package only starts
peers, keeps everything inside a private network namespace, and drives the engine's CLI.
"""

__all__ = ["netns", "peers"]
