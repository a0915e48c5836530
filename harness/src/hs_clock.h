/* hs_clock.h — monotonic deadlines and wall-clock time.  Deadlines are absolute monotonic
 * nanoseconds so that a sequence of reads shares one bound instead of each restarting it. */
#ifndef HS_CLOCK_H
#define HS_CLOCK_H

#include "hs_common.h"

typedef int64_t hs_ns_t;

hs_ns_t hs_mono_ns(void);
int64_t hs_wall_s(void);
static inline hs_ns_t hs_deadline_in_ms(int64_t ms) { return hs_mono_ns() + ms * 1000000LL; }
/* Milliseconds left until the deadline, clamped to [0, INT32_MAX] for poll(). */
int hs_ms_left(hs_ns_t deadline);
static inline double hs_ns_to_ms(hs_ns_t ns) { return (double)ns / 1e6; }

#endif
