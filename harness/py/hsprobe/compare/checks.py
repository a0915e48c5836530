"""The checks compared and their normalised values (every column of the table uses these, so a
cell is comparable with the truth by string equality; anything else is the tool's raw text)."""

CHECKS = ("fallback_scsv", "secure_renegotiation", "client_renegotiation", "starttls",
          "starttls_injection", "sslv2_compat_hello")

# fallback_scsv:        enforced (alert 86) | refused-no-alert | ignored | other-alert NAME |
#                       n/a (nothing lower)
# secure_renegotiation: yes | no
# client_renegotiation: accepted | refused
# starttls:             ok (the tool got through the protocol's STARTTLS dialog) | <tool's error>
# starttls_injection:   answered-inside-tls | discarded | dropped (connection closed before or
#                       during the handshake) | answered-in-clear (before the handshake)
# sslv2_compat_hello:   understood | refused-alert NAME | refused-no-alert  (RFC 5246 E.2)
# hsprobe's values are derived from engine results by hsprobe.compare.hsprobe_run.
NOT_TESTED = "not tested"


def agrees(value: str | None, truth: str | None) -> str:
    """'=' when a tool's value equals the truth, '!' when it contradicts it, '' when either is
    unknown or the tool did not test."""
    if not value or not truth or value == NOT_TESTED or truth == "?":
        return ""
    return "=" if value == truth else "!"
