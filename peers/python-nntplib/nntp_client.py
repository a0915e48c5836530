#!/usr/bin/python3
"""An NNTP reader that requires TLS, built on Python 3.11's nntplib (Debian python3.11).

    nntp_client.py HOST PORT USER PASSWORD GROUP

nntplib implements STARTTLS (RFC 4642) but leaves the policy to its caller; this is the policy
a TLS-requiring reader applies: connect (nntplib reads the greeting and sends CAPABILITIES), stop
with exit 64 unless STARTTLS is listed, call NNTP.starttls() (an error reply raises), then log in
(AUTHINFO USER/PASS), select GROUP, read the newest article's headers, QUIT.  Certificates are
not verified (the harness issues its own).  Every step is printed."""
import ssl
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)
import nntplib  # noqa: E402  (deprecated in 3.11, removed in 3.13; Debian 12 ships 3.11)


def main(host, port, user, password, group):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    print(f"connecting to {host}:{port}", flush=True)
    s = nntplib.NNTP(host, int(port), readermode=False, usenetrc=False, timeout=8)
    print(f"< {s.welcome}", flush=True)
    caps = s.getcapabilities()
    print(f"capabilities in clear: {sorted(caps)}", flush=True)
    if "STARTTLS" not in caps:
        print("STARTTLS not offered: TLS is required, giving up", flush=True)
        s.sock.close()
        return 64
    try:
        s.starttls(ctx)
    except (nntplib.NNTPError, ssl.SSLError, OSError) as e:
        print(f"STARTTLS failed: {type(e).__name__}: {e}: TLS is required, giving up",
              flush=True)
        s.sock.close()
        return 64
    print(f"TLS up ({s.sock.version()}); capabilities now: {sorted(s.getcapabilities())}",
          flush=True)
    s.login(user, password, usenetrc=False)
    print("logged in", flush=True)
    resp, count, first, last, name = s.group(group)
    print(f"< {resp}", flush=True)
    resp, info = s.head(last)
    print(f"< {resp}: {len(info.lines)} header lines", flush=True)
    print(f"< {s.quit()}", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(*sys.argv[1:]))
    except (nntplib.NNTPError, OSError, EOFError) as e:
        print(f"error: {type(e).__name__}: {e}", flush=True)
        sys.exit(1)
