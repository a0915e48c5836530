"""Side-by-side comparison of hsprobe's TLS-family findings with the tools users would otherwise
reach for (spec/tls-downgrade.md §4): testssl.sh and sslscan, run against the same peers in the
same private network namespace.  harness/py/compare_tools.py is the command; here:

* `testssl`, `sslscan` — run one tool against one target (bounded) and normalise its findings;
* `truth` — what each target really does, each fact verified by harness/tests/peers_tls;
* `checks` — the check names and the normalised values every column uses.
"""
