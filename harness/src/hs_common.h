/* hs_common.h — definitions every layer of the engine shares.
 *
 * Kept tiny on purpose: attributes, the status convention and the named caps.  Anything with
 * behaviour lives in a layer of its own (bytes_, wire_, crypto_, net_, tls_, link_, cli_). */
#ifndef HS_COMMON_H
#define HS_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Every fallible function carries this, so an unchecked failure is a compile error under
 * -Werror (STYLE.md: "every fallible function's result is checked"). */
#define HS_MUST_CHECK __attribute__((warn_unused_result))

#define HS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Named caps.  Every growable buffer in the engine is bounded by one of these. */
#define HS_CAP_CELL_BODY 65535u        /* u16 length of a var cell */
#define HS_CAP_RX_BUFFER (256u * 1024u) /* plaintext buffered from one peer before we give up */
#define HS_CAP_TRANSCRIPT (1024u * 1024u) /* bytes recorded per connection direction */
#define HS_CAP_TRANSCRIPT_CELLS 4096u  /* cells recorded per connection */
#define HS_CAP_CERTS_ENTRIES 32u       /* certificates kept from one CERTS cell */
#define HS_CAP_VERSIONS 64u            /* link versions kept from one VERSIONS cell */
#define HS_CAP_AUTH_METHODS 64u        /* methods kept from one AUTH_CHALLENGE */
#define HS_CAP_NETINFO_ADDRS 16u       /* MYADDR entries kept from one NETINFO */

#endif
