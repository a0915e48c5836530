/* hs_rand.h — every random choice the harness makes goes through here, so that --seed can make
 * them reproducible from one DRBG (DESIGN.md "Determinism").
 *
 * Unseeded: GnuTLS's nonce generator.  Seeded: SHA-256 in counter mode over (seed, label),
 * where the label is the scenario id, so a scenario draws the same bytes whatever else runs
 * before or beside it.  Not for keys a real adversary faces: it exists to make transcripts
 * reproducible.  (Keys GnuTLS generates and TLS randoms are not covered yet.) */
#ifndef HS_RAND_H
#define HS_RAND_H

#include "hs_common.h"

int hs_rand_bytes(void *out, size_t n) HS_MUST_CHECK;
void hs_rand_seed(uint64_t seed, const char *label);
void hs_rand_unseed(void);
/* Call first thing in a forked child: GnuTLS's generators would otherwise continue from the
 * parent's state, so sibling children drew the same bytes (observed: identical RSA keys). */
void hs_rand_after_fork(void);

#endif
