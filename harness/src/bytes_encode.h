/* bytes_encode.h — text encodings for printing identities: upper-case hex (tor's RSA
 * fingerprint format) and unpadded base64 (tor's Ed25519 identity format). */
#ifndef BYTES_ENCODE_H
#define BYTES_ENCODE_H

#include "hs_common.h"

/* out must hold 2n+1 bytes. */
void hex_encode_upper(const uint8_t *p, size_t n, char *out);
/* Standard alphabet, no '=' padding; out must hold 4*ceil(n/3)+1 bytes. */
void base64_encode_nopad(const uint8_t *p, size_t n, char *out);

#endif
