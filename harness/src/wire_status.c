/* wire_status.c — see wire_status.h. */
#include "wire_status.h"

const char *wire_status_str(wire_status_t st)
{
    switch (st) {
    case WIRE_OK: return "ok";
    case WIRE_TRUNCATED: return "truncated";
    case WIRE_TRAILING: return "trailing bytes";
    case WIRE_BAD_VALUE: return "bad value";
    case WIRE_TOO_MANY: return "more elements than the engine keeps";
    }
    return "?";
}
