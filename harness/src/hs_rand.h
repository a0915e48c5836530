/* hs_rand.h — every random choice the harness makes goes through here, so that a later
 * --seed can make them reproducible from one DRBG (DESIGN.md "Determinism"). */
#ifndef HS_RAND_H
#define HS_RAND_H

#include "hs_common.h"

int hs_rand_bytes(void *out, size_t n) HS_MUST_CHECK;

#endif
