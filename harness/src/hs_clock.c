/* hs_clock.c — see hs_clock.h. */
#include "hs_clock.h"

#include <time.h>

hs_ns_t hs_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (hs_ns_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t hs_wall_s(void) { return (int64_t)time(NULL); }

int hs_ms_left(hs_ns_t deadline)
{
    hs_ns_t left = deadline - hs_mono_ns();
    if (left <= 0)
        return 0;
    int64_t ms = (left + 999999) / 1000000;
    return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}
