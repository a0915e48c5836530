"""Which peers the TLS-family tests start: every peer directory whose protocols are not tor-link
(a module of its own: `from conftest import ...` would find another directory's conftest)."""

from hsprobe.peerdesc import available_peers, load_peer


def tls_peer_names() -> list[str]:
    # The TLS-family *servers*: peers that answer the harness (clients that dial it, such as
    # curl-smtp, serve only the responder role and are tested by their scenarios).
    return [n for n in available_peers()
            if "tor-link" not in load_peer(n).protocols and "initiator" in load_peer(n).serves]
