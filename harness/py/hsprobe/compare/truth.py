"""What each target really does, per check (normalised values of hsprobe.compare.checks).

Every entry is a property observed with independent clients (openssl s_client, gnutls-cli,
Python sockets) by a named test in harness/tests/peers_tls; "?" means nobody has established it
yet (for the stock STARTTLS servers, finding it is hsprobe's job: spec/tls-downgrade.md §3 lists
no expectations for them on purpose)."""

from hsprobe.compare.checks import CHECKS

T_SCSV86 = "test_stock_tls.py::test_tls13_servers_answer_12_plus_scsv_with_alert_86"
T_RI = "test_stock_tls.py::test_rfc5746_advertised"
T_RENEG_OK = "test_stock_tls.py::test_accepts_client_renegotiation"
T_STARTTLS = "test_peers_ready.py::test_openssl_s_client_handshake"

# peer: {check: (value, evidence)}
TRUTH = {
    "gnutls-serv": {"fallback_scsv": ("enforced", T_SCSV86), "secure_renegotiation": ("yes", T_RI),
                    "client_renegotiation": ("accepted", T_RENEG_OK)},
    "gnutls-serv-unsafe-reneg": {
        "fallback_scsv": ("enforced", T_SCSV86), "secure_renegotiation": ("no", T_RI),
        "client_renegotiation": ("accepted", "test_stock_tls.py::test_gnutls_tls12_and_legacy_"
                                             "variants_accept_client_renegotiation")},
    "gnutls-serv-tls12": {
        "fallback_scsv": ("enforced", "test_stock_tls.py::test_tls12_variant_treats_12_plus_scsv_"
                                      "as_normal (1.1+SCSV: alert 86)"),
        "secure_renegotiation": ("yes", T_RI),
        "client_renegotiation": ("accepted", "test_stock_tls.py::test_gnutls_tls12_and_legacy_"
                                             "variants_accept_client_renegotiation")},
    "openssl-www": {"fallback_scsv": ("enforced", T_SCSV86), "secure_renegotiation": ("yes", T_RI),
                    "client_renegotiation": ("refused", "test_stock_tls.py::test_refuses_client_"
                                                        "renegotiation_with_warning_100")},
    "openssl-client-reneg": {"fallback_scsv": ("enforced", T_SCSV86),
                             "secure_renegotiation": ("yes", T_RI),
                             "client_renegotiation": ("accepted", T_RENEG_OK)},
    "openssl-legacy-reneg": {"fallback_scsv": ("enforced", T_SCSV86),
                             "secure_renegotiation": ("yes", T_RI),
                             "client_renegotiation": ("accepted", T_RENEG_OK)},
    "openssl-tls10": {"fallback_scsv": ("enforced", T_SCSV86), "secure_renegotiation": ("yes", T_RI),
                      "client_renegotiation": ("refused", "test_stock_tls.py::test_refuses_client_"
                                                          "renegotiation_with_warning_100")},
    "scsv-ignored": {"fallback_scsv": ("ignored", "test_twins.py::test_scsv_bad_twin_completes_"
                                                  "fallback_handshake"),
                     "secure_renegotiation": ("yes", T_RI)},
    "scsv-enforced": {"fallback_scsv": ("enforced", "test_twins.py::test_scsv_fixed_twin_sends_"
                                                    "alert_86"),
                      "secure_renegotiation": ("yes", T_RI)},
    "scsv-bare-close": {"fallback_scsv": ("refused-no-alert", "test_twins.py::test_scsv_bare_"
                                                              "close_twin_refuses_without_alert"),
                        "secure_renegotiation": ("yes", T_RI)},
    "scsv-ignored-tls12": {"fallback_scsv": ("ignored", "test_twins.py::test_scsv_bad_twin_"
                                                        "completes_fallback_handshake")},
    "scsv-enforced-tls12": {"fallback_scsv": ("enforced", "test_twins.py::test_scsv_fixed_twin_"
                                                          "sends_alert_86")},
    "xmpp-reneg-accept": {"client_renegotiation": ("accepted", "test_twins.py::test_xmpp_reneg_"
                                                               "bad_twin_keeps_the_stream"),
                          "starttls": ("ok", T_STARTTLS)},
    "xmpp-reneg-close": {"client_renegotiation": ("refused", "test_twins.py::test_xmpp_reneg_"
                                                             "fixed_twin_closes_tcp_without_alert "
                                                             "(refused by closing TCP)"),
                         "starttls": ("ok", T_STARTTLS)},
}
for _p in ("smtp", "imap", "pop3", "nntp", "xmpp"):
    TRUTH[f"{_p}-inject-bad"] = {
        "starttls_injection": ("answered-inside-tls", "test_twins.py::test_inject_bad_twin_"
                                                      "answers_injected_command_inside_tls"),
        "starttls": ("ok", T_STARTTLS)}
    TRUTH[f"{_p}-inject-fixed"] = {
        "starttls_injection": ("discarded", "test_twins.py::test_inject_fixed_twin_discards_"
                                            "pipelined_plaintext"),
        "starttls": ("ok", T_STARTTLS)}
for _p in ("postfix", "dovecot-imap", "dovecot-pop3", "prosody", "inn2"):
    TRUTH[_p] = {"starttls": ("ok", T_STARTTLS)}


def truth(peer: str, check: str) -> tuple[str, str]:
    """(value, evidence); ("?", "") when not established."""
    assert check in CHECKS, check
    return TRUTH.get(peer, {}).get(check, ("?", ""))
