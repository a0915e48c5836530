/* wire_tls_alert.h — TLS alert descriptions by their RFC names (RFC 8446 §6, RFC 5246 §7.2,
 * RFC 7507).  GnuTLS's own alert names are prose ("Handshake failed"); scenarios and reports
 * use the registry names so that they read the same as the RFCs and as tshark. */
#ifndef WIRE_TLS_ALERT_H
#define WIRE_TLS_ALERT_H

#include "hs_common.h"

/* "handshake_failure", … or NULL for a code with no registered name. */
const char *tls_alert_name(int code);
/* Code for a registry name, or -1. */
int tls_alert_from_name(const char *name);

#endif
